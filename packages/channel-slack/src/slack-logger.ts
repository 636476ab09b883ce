import type { Logger } from '@nanoclaw/core';
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';

/** Slack's SDK logger interface on top of a NanoClaw logger; Slack's chatty `info` goes to `debug`. */
export function toSlackLogger(logger: Logger): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const format = (messages: unknown[]) =>
    messages.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : safeJson(m))).join(' ');
  return {
    debug: (...messages: unknown[]) => logger.trace(format(messages)),
    info: (...messages: unknown[]) => logger.debug(format(messages)),
    warn: (...messages: unknown[]) => logger.warn(format(messages)),
    error: (...messages: unknown[]) => logger.error(format(messages)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
