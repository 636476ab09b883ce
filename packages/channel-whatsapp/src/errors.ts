import { ChannelError } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';

/** Without a retry-after from WhatsApp, a rate-limited send waits this long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 5000;

/** The HTTP-like status of a Baileys (Boom) error, if any. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const output = (error as { output?: { statusCode?: unknown } }).output;
  return typeof output?.statusCode === 'number' ? output.statusCode : undefined;
}

function retryAfterOf(error: unknown): number | undefined {
  const data = (error as { data?: { retryAfterMs?: unknown } } | null)?.data;
  return typeof data?.retryAfterMs === 'number' ? data.retryAfterMs : undefined;
}

/**
 * A send failure as a `ChannelError`: 429 / `rate-overlimit` → `retryAfterMs` (from `data.retryAfterMs`, else
 * 5 s); 400/403/404/406 (bad jid, not a participant any more) → `permanent`; anything else (connection closed,
 * timeouts) → neither, so the outbox retries.
 */
export function toChannelError(error: unknown, what: string): ChannelError {
  if (ChannelError.isInstance(error)) return error;
  const code = statusCodeOf(error);
  const text = errorMessage(error);
  const message = `whatsapp ${what} failed: ${code === undefined ? '' : `${code} `}${text}`;
  if (code === 429 || /rate-overlimit/i.test(text)) {
    return new ChannelError(message, {
      retryAfterMs: retryAfterOf(error) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
      cause: error,
    });
  }
  const permanent = code !== undefined && [400, 403, 404, 406].includes(code);
  return new ChannelError(message, { permanent, cause: error });
}
