import { ChannelError, type ChannelErrorOptions } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';

/** An error `send` throws: a `ChannelError` (the outbox reads `retryAfterMs` and `permanent`) with Discord's codes. */
export class DiscordChannelError extends ChannelError {
  /** Discord's JSON error code (10003 Unknown Channel, 50013 Missing Permissions, ...), when it sent one. */
  readonly discordCode?: number;
  readonly status?: number;

  constructor(
    message: string,
    options: ChannelErrorOptions & { discordCode?: number; status?: number } = {},
  ) {
    super(message, options);
    this.name = 'DiscordChannelError';
    if (options.discordCode !== undefined) this.discordCode = options.discordCode;
    if (options.status !== undefined) this.status = options.status;
  }
}

interface DiscordishError {
  name?: unknown;
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
  const detail = errorMessage(error);
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
