import { type ChannelErrorInfo, NanoclawError } from '@nanoclaw/core';

const marker = 'nanoclaw.error.channel';
const symbol = Symbol.for(marker);

/**
 * What went wrong, as the outbox and the supervisor read it: the platform asked to wait (`rate-limited`),
 * retrying cannot help (`rejected`), or it may work next time (`failed`).
 */
export type ChannelErrorCode = 'rate-limited' | 'rejected' | 'failed';

export interface ChannelErrorOptions extends ChannelErrorInfo {
  cause?: unknown;
}

function codeOf(info: ChannelErrorInfo): ChannelErrorCode {
  if (info.permanent) return 'rejected';
  if (info.retryAfterMs !== undefined) return 'rate-limited';
  return 'failed';
}

/**
 * An error from an adapter's `send` or `start` that tells the outbox (or the supervisor) what to do next. Its
 * `code` and `retryable` follow from `retryAfterMs` and `permanent`: a permanent error is `rejected` and not
 * retryable; any other is retryable.
 */
export class ChannelError extends NanoclawError<ChannelErrorCode> implements ChannelErrorInfo {
  readonly [symbol] = true;
  readonly retryAfterMs?: number;
  readonly permanent?: boolean;

  constructor(message: string, options: ChannelErrorOptions = {}) {
    super(codeOf(options), message, { cause: options.cause, retryable: options.permanent !== true });
    this.name = 'ChannelError';
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.permanent !== undefined) this.permanent = options.permanent;
  }

  /** True for a `ChannelError` (or subclass) from this copy of the package or another. */
  static override isInstance(error: unknown): error is ChannelError {
    return NanoclawError.hasMarker(error, marker);
  }
}

/**
 * The well-formed `ChannelErrorInfo` an error carries, if any (works on any error shape, not only
 * `ChannelError`): a finite, non-negative `retryAfterMs`; `permanent` only when it is `true`.
 */
export function channelErrorInfo(error: unknown): ChannelErrorInfo {
  if (typeof error !== 'object' || error === null) return {};
  const { retryAfterMs, permanent } = error as { retryAfterMs?: unknown; permanent?: unknown };
  const info: ChannelErrorInfo = {};
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    info.retryAfterMs = retryAfterMs;
  }
  if (permanent === true) info.permanent = true;
  return info;
}
