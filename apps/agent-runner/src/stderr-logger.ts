import type { LogFn, Logger } from '@nanoclaw/core';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export interface StderrLoggerOptions {
  /** Lowest level written (default `info`). */
  level?: Level;
  bindings?: Record<string, unknown>;
  /** Where lines go (default: process.stderr); stdout is reserved for the protocol. */
  write?: (line: string) => void;
}

/** A `Logger` that writes one JSON object per line: `{"level","time","msg",...bindings}`. */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const minimum = LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const bindings = options.bindings ?? {};

  const logFn = (level: Level): LogFn =>
    ((first: string | Record<string, unknown>, message?: string) => {
      if (LEVELS.indexOf(level) < minimum) return;
      const fields = typeof first === 'string' ? {} : first;
      const msg = typeof first === 'string' ? first : message;
      const entry = { level, time: Date.now(), ...bindings, ...serializeErrors(fields), msg };
      write(`${JSON.stringify(entry)}\n`);
    }) as LogFn;

  return {
    trace: logFn('trace'),
    debug: logFn('debug'),
    info: logFn('info'),
    warn: logFn('warn'),
    error: logFn('error'),
    fatal: logFn('fatal'),
    child: (more) => createStderrLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** Reads a level name from an env value, e.g. `NANOCLAW_LOG_LEVEL=debug`. */
export function parseLogLevel(value: string | undefined): Level | undefined {
  return LEVELS.find((level) => level === value);
}

function serializeErrors(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
