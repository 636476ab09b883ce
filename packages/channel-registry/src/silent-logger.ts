import type { Logger } from '@nanoclaw/core';

const noop = () => {};

/** A logger that drops everything: the default of adapters given none. */
export function silentLogger(): Logger {
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    child: () => logger,
  };
  return logger;
}
