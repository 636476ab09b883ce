import type { Readable } from 'node:stream';
import type { SandboxProcess } from '@nanoclaw/core';
import { execa, type ResultPromise } from 'execa';

export interface RunCommandOptions {
  /** The complete environment of the command; never defaults to `process.env`. */
  env: Readonly<Record<string, string>>;
  timeoutMs?: number;
  cwd?: string;
  input?: string;
  /** Keep only the last this many characters of stdout and of stderr (default: all of them). */
  keepLast?: number;
  /** Each line of stderr as it arrives (a progress display); the text is collected as well. */
  onStderrLine?: (line: string) => void;
  /** Stops the command (SIGTERM) when aborted; the result then says `aborted`. */
  signal?: AbortSignal;
}

export interface CommandResult {
  /** Exit code; null when killed by a signal, timed out or not started. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when `signal` stopped it. */
  aborted?: boolean;
  /** Set when the command could not be started (e.g. ENOENT). */
  error?: Error;
}

/** One command of a pipeline. */
export interface PipelineCommand {
  file: string;
  args: readonly string[];
  options: Omit<RunCommandOptions, 'signal' | 'timeoutMs'>;
}

/** Runs a short host command (docker ps, ldd, ...) with an explicit env and a timeout, collecting its output. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  return startCommand(file, args, options, { stdout: 'collect' }).result;
}

/**
 * `first | second` (e.g. `mmdebstrap … - | tar -x`, `tar -c | docker import -`): the first command's stdout
 * streams into the second's stdin, both with their own env; resolves once both ended, with both results (the
 * first's stdout is not collected). A timeout or `signal` stops both.
 */
export async function runPipeline(
  first: PipelineCommand,
  second: PipelineCommand,
  control: Pick<RunCommandOptions, 'signal' | 'timeoutMs'> = {},
): Promise<[CommandResult, CommandResult]> {
  const producer = startCommand(first.file, first.args, { ...first.options, ...control }, { stdout: 'pipe' });
  const consumer = startCommand(
    second.file,
    second.args,
    { ...second.options, ...control },
    {
      stdout: 'collect',
      stdin: producer.child.stdout ?? undefined,
    },
  );
  // A consumer that stops reading ends the producer (EPIPE) instead of leaving it blocked.
  consumer.result.then(() => producer.child.stdout?.destroy()).catch(() => {});
  return Promise.all([producer.result, consumer.result]);
}

/**
 * Collects a sandbox's output until it exits (a build step run in a sandbox); stops it after `timeoutMs`.
 * Keeps the last `keepLast` characters of stdout and stderr together (default 20,000).
 */
export async function runSandboxToExit(
  proc: SandboxProcess,
  options: { timeoutMs: number; keepLast?: number; input?: string },
): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  const output = tailCollector(options.keepLast ?? 20_000);
  proc.stdout.on('data', output.append);
  proc.stderr.on('data', output.append);
  proc.stdin.on('error', () => {});
  proc.stdin.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill().catch(() => {});
  }, options.timeoutMs);
  try {
    const exit = await proc.exited;
    return { code: exit.code, output: output.text(), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts one command through execa: only the given env (`extendEnv: false`), no buffering (the output is collected
 * here, keeping a tail), never rejecting (`reject: false`). A timeout kills it (SIGKILL), `signal` stops it
 * (SIGTERM); either way the result's `code` is null.
 */
function startCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
  io: { stdout: 'collect' | 'pipe'; stdin?: Readable },
): { child: ResultPromise; result: Promise<CommandResult> } {
  const child = execa(file, args, {
    env: { ...options.env },
    extendEnv: false,
    cwd: options.cwd,
    stdin: io.stdin ?? 'pipe',
    ...(io.stdin ? {} : { input: options.input ?? '' }),
    buffer: false,
    reject: false,
    ...(options.timeoutMs === undefined
      ? {}
      : { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const }),
  });
  const stdout = tailCollector(options.keepLast);
  const stderr = tailCollector(options.keepLast);
  let aborted = false;
  const stop = () => {
    aborted = true;
    child.kill('SIGTERM');
  };
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  if (io.stdout === 'collect') child.stdout?.setEncoding('utf8').on('data', stdout.append);
  child.stderr?.setEncoding('utf8').on('data', stderr.append);
  const lines = options.onStderrLine ? lineSplitter(options.onStderrLine) : undefined;
  if (lines) child.stderr?.on('data', lines.push);
  const result = child.then((done): CommandResult => {
    options.signal?.removeEventListener('abort', stop);
    lines?.flush();
    const timedOut = done.timedOut;
    const notStarted = done.exitCode === undefined && done.signal === undefined && !timedOut && !aborted;
    return {
      code: timedOut || aborted ? null : (done.exitCode ?? null),
      signal: done.signal ?? null,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timedOut,
      ...(aborted ? { aborted } : {}),
      ...(notStarted ? { error: startError(done) } : {}),
    };
  });
  return { child, result };
}

/** The error that kept a command from starting (ENOENT, EACCES, ...): execa's cause, else execa's own error. */
function startError(done: { cause?: unknown; message?: string }): Error {
  if (done.cause instanceof Error) return done.cause;
  return new Error(done.message ?? 'the command could not be started');
}

/** Appends chunks, keeping the last `keep` characters (all when undefined). */
function tailCollector(keep: number | undefined): {
  append: (chunk: Buffer | string) => void;
  text: () => string;
} {
  let text = '';
  return {
    append: (chunk) => {
      text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (keep !== undefined && text.length > keep * 2) text = text.slice(-keep);
    },
    text: () => (keep === undefined ? text : text.slice(-keep)),
  };
}

/** Calls `onLine` for each line of a text stream; `flush` passes on a last line without a newline. */
function lineSplitter(onLine: (line: string) => void): { push: (chunk: string) => void; flush: () => void } {
  let pending = '';
  return {
    push: (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush: () => {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}
