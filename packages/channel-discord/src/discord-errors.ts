import type { ChannelErrorInfo } from '@nanoclaw/core';

/** An error `send` throws: the outbox reads `retryAfterMs` and `permanent` (ChannelErrorInfo). */
export class DiscordChannelError extends Error implements ChannelErrorInfo {
  readonly retryAfterMs?: number;
  readonly permanent?: boolean;
  /** Discord's JSON error code (10003 Unknown Channel, 50013 Missing Permissions, ...), when it sent one. */
  readonly discordCode?: number;
  readonly status?: number;

  constructor(
    message: string,
    info: ChannelErrorInfo & { discordCode?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'DiscordChannelError';
    if (info.retryAfterMs !== undefined) this.retryAfterMs = info.retryAfterMs;
    if (info.permanent !== undefined) this.permanent = info.permanent;
    if (info.discordCode !== undefined) this.discordCode = info.discordCode;
    if (info.status !== undefined) this.status = info.status;
  }
}

interface DiscordishError {
  name?: unknown;
  message?: unknown;
  /** RateLimitError */
  retryAfter?: unknown;
  timeToReset?: unknown;
  /** DiscordAPIError / HTTPError */
  status?: unknown;
  code?: unknown;
}

/**
 * Maps discord.js REST errors: RateLimitError (the client rejects on rate limits instead of waiting) →
 * retryAfterMs; DiscordAPIError 4xx → permanent (the channel, the permission or the message is wrong);
 * 5xx, network errors → transient.
 */
export function toDiscordChannelError(error: unknown, what: string): DiscordChannelError {
  if (error instanceof DiscordChannelError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as DiscordishError;
  const detail = typeof e.message === 'string' ? e.message : String(error);
  if (typeof e.retryAfter === 'number' || typeof e.timeToReset === 'number') {
    const retryAfter = typeof e.retryAfter === 'number' && e.retryAfter > 0 ? e.retryAfter : 0;
    const reset = typeof e.timeToReset === 'number' && e.timeToReset > 0 ? e.timeToReset : 0;
    const retryAfterMs = Math.ceil(Math.max(retryAfter, reset));
    return new DiscordChannelError(`${what}: rate limited by Discord (retry after ${retryAfterMs} ms)`, {
      retryAfterMs,
      cause: error,
    });
  }
  if (e.code === 'TokenInvalid') {
    // discord.js: /gateway/bot answered 401.
    return new DiscordChannelError(`${what}: ${detail}`, { permanent: true, cause: error });
  }
  if (typeof e.status === 'number') {
    const status = e.status;
    const discordCode = typeof e.code === 'number' ? e.code : undefined;
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return new DiscordChannelError(
      `${what}: HTTP ${status}${discordCode ? ` (code ${discordCode})` : ''}: ${detail}`,
      {
        permanent,
        status,
        ...(discordCode === undefined ? {} : { discordCode }),
        cause: error,
      },
    );
  }
  return new DiscordChannelError(`${what}: ${detail}`, { cause: error });
}
