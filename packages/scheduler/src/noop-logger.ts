import type { Logger } from '@nanoclaw/core';

const ignore = (): void => undefined;

/** A `Logger` that drops everything: the default when none is given. */
export const noopLogger: Logger = {
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  fatal: ignore,
  child: () => noopLogger,
};
