import type { Writable } from 'node:stream';
import type { Logger } from '@nanoclaw/core';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { SECRET_KEYS } from './config.js';

export interface LoggerOptions {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** `auto`: pretty when stdout is a terminal, JSON otherwise. */
  format: 'auto' | 'json' | 'pretty';
  /** Where lines go; defaults to stdout. */
  destination?: Writable;
}

/**
 * Secret-bearing fields, wherever they sit in a log object's first two levels. Values are replaced, keys stay,
 * so a log still shows that a key was set.
 */
const SECRET_FIELDS = [
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'cookie',
  ...SECRET_KEYS,
];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** The host's root logger: pino JSON, pretty in a TTY, secrets redacted. Child loggers per group/session. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const usePretty =
    options.format === 'pretty' ||
    (options.format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  const stream = usePretty
    ? pretty({ destination, colorize: true, translateTime: 'SYS:HH:MM:ss.l' })
    : destination;
  return pino(
    {
      level: options.level,
      base: { app: 'nanoclaw' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}
