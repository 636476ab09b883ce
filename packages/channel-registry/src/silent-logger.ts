import { silentLogger as coreSilentLogger, type Logger } from '@nanoclaw/core';

/** A logger that drops everything: the default of adapters given none (core's `silentLogger`). */
export function silentLogger(): Logger {
  return coreSilentLogger;
}
