import { NanoclawError } from '@nanoclaw/core';
/** Where a command writes; `process.stdout`/`process.stderr` fit, and so does a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/** Exit codes of the CLI commands (documented in the README). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** No host answers, or it refused the token. */
  unavailable: 69,
  config: 78,
  /** `send --wait`: no reply in time. */
  timeout: 124,
  /** `chat` left with Ctrl-C. */
  interrupted: 130,
} as const;

/** A failure a command reports as `nanoclaw: <message>` with its exit code (no stack trace). */
export class CliError extends NanoclawError<'cli-failed'> {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super('cli-failed', message);
  }
}

export function writeLine(sink: TextSink, line = ''): void {
  sink.write(`${line}\n`);
}

/** Writes a command's result: as indented JSON with `--json`, else as `human` says it. */
export function writeResult<T>(
  sink: TextSink,
  json: boolean | undefined,
  value: T,
  human: (value: T) => string,
): void {
  writeLine(sink, json ? JSON.stringify(value, null, 2) : human(value));
}

/** A word as a POSIX shell reads it back: as it is when safe, else in single quotes. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
