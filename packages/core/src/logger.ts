/**
 * The logging surface every package accepts. It is the subset of pino's API that packages use, so a pino
 * logger fits as is, and another bot can pass its own.
 */
export interface LogFn {
  (message: string): void;
  (bindings: Record<string, unknown>, message?: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const drop: LogFn = () => {};

/** The default logger of every package: drops everything. The one copy (issue 15: there were six). */
export const silentLogger: Logger = {
  trace: drop,
  debug: drop,
  info: drop,
  warn: drop,
  error: drop,
  fatal: drop,
  child: () => silentLogger,
};
