import { ChannelError } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';
import { GrammyError, HttpError } from 'grammy';

/** Bot API answers that retrying cannot fix (the chat is gone, the bot was removed or blocked, bad input). */
const PERMANENT_DESCRIPTIONS = [
  /chat not found/i,
  /bot was blocked/i,
  /bot was kicked/i,
  /user is deactivated/i,
  /not enough rights/i,
  /have no rights/i,
  /chat_write_forbidden/i,
  /message is too long/i,
  /message text is empty/i,
  /wrong file identifier/i,
];

/**
 * A send failure as a `ChannelError`: 429 → `retryAfterMs` (from `retry_after`, seconds); 401/403/404 and the
 * "chat not found" family of 400s → `permanent`; network errors and 5xx → neither (the outbox retries).
 */
export function toChannelError(error: unknown, what: string): ChannelError {
  if (ChannelError.isInstance(error)) return error;
  if (error instanceof GrammyError) {
    const message = `telegram ${what} failed: ${error.error_code} ${error.description}`;
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new ChannelError(message, { retryAfterMs: Math.max(1, seconds) * 1000, cause: error });
    }
    const permanent =
      [401, 403, 404].includes(error.error_code) ||
      (error.error_code === 400 && PERMANENT_DESCRIPTIONS.some((re) => re.test(error.description)));
    return new ChannelError(message, { permanent, cause: error });
  }
  if (error instanceof HttpError)
    return new ChannelError(`telegram ${what} failed: ${error.message}`, { cause: error });
  return new ChannelError(`telegram ${what} failed: ${errorMessage(error)}`, { cause: error });
}

/** 401 from getMe/getUpdates: the token is wrong or revoked. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 401;
}

/** 409 from getUpdates: another poller or a webhook holds the bot. */
export function isConflict(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 409;
}

export function describeError(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  return errorMessage(error);
}

/**
 * getChat/sendMessage answers that mean the bot cannot write to this user: Telegram does not know the chat to the
 * bot (400 "chat not found": the user never started it) or refuses it (403: blocked, deactivated, never started).
 */
export function isChatUnreachable(error: unknown): boolean {
  if (!(error instanceof GrammyError)) return false;
  return error.error_code === 403 || (error.error_code === 400 && /chat not found/i.test(error.description));
}
