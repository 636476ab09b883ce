import type { ChannelErrorInfo } from '@nanoclaw/core';

/** An error from an adapter's `send` or `start` that tells the outbox (or the supervisor) what to do next. */
export class ChannelError extends Error implements ChannelErrorInfo {
  override readonly name = 'ChannelError';
  readonly retryAfterMs?: number;
  readonly permanent?: boolean;

  constructor(message: string, info: ChannelErrorInfo & { cause?: unknown } = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    if (info.retryAfterMs !== undefined) this.retryAfterMs = info.retryAfterMs;
    if (info.permanent !== undefined) this.permanent = info.permanent;
  }
}

/** The `ChannelErrorInfo` an error carries, if any (works on any error shape, not only `ChannelError`). */
export function channelErrorInfo(error: unknown): ChannelErrorInfo {
  if (typeof error !== 'object' || error === null) return {};
  const { retryAfterMs, permanent } = error as ChannelErrorInfo;
  return {
    ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
    ...(typeof permanent === 'boolean' ? { permanent } : {}),
  };
}
