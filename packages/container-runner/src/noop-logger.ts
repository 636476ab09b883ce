import type { LogFn, Logger } from '@nanoclaw/core';

const noop: LogFn = () => {};

/** The default logger: drops everything. */
export const noopLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => noopLogger,
};
