import { ChannelError } from '@nanoclaw/channel-registry';
import { errorMessage } from '@nanoclaw/core';

/** The parts of a gaxios (googleapis) error this package reads: the HTTP status and the Retry-After header. */
interface HttpFailure {
  status: number;
  retryAfter: string | undefined;
  reason: string | undefined;
}

/** The HTTP side of an error from the Gmail client, if it had an answer. */
export function httpFailure(error: unknown): HttpFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const response = (error as { response?: { status?: unknown; headers?: unknown; data?: unknown } }).response;
  if (!response || typeof response.status !== 'number') return undefined;
  return {
    status: response.status,
    retryAfter: header(response.headers, 'retry-after'),
    reason: reasonOf(response.data),
  };
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function reasonOf(data: unknown): string | undefined {
  const message = (data as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Retry-After in ms (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** 404 from `history.list`: the start history id is too old (or unknown); a full re-sync is needed. */
export function isHistoryGone(error: unknown): boolean {
  return httpFailure(error)?.status === 404;
}

export function isUnauthorized(error: unknown): boolean {
  const status = httpFailure(error)?.status;
  return status === 401 || status === 403 || /invalid_grant/i.test(errorMessage(error));
}

/**
 * A Gmail failure as a `ChannelError`: 429 (and 403 rate-limit answers) → `retryAfterMs` from Retry-After
 * (default 1 s); 400/401/403/404 → `permanent`; network errors and 5xx → neither (the outbox retries).
 */
export function toChannelError(error: unknown, what: string): ChannelError {
  if (ChannelError.isInstance(error)) return error;
  const failure = httpFailure(error);
  if (!failure) return new ChannelError(`gmail ${what} failed: ${errorMessage(error)}`, { cause: error });
  const message = `gmail ${what} failed: HTTP ${failure.status}${failure.reason ? ` ${failure.reason}` : ''}`;
  const rateLimited =
    failure.status === 429 || (failure.status === 403 && /rate ?limit/i.test(failure.reason ?? ''));
  if (rateLimited) {
    return new ChannelError(message, {
      retryAfterMs: retryAfterMs(failure.retryAfter) ?? 1000,
      cause: error,
    });
  }
  const permanent = [400, 401, 403, 404].includes(failure.status);
  return new ChannelError(message, { permanent, cause: error });
}

export function describeError(error: unknown): string {
  const failure = httpFailure(error);
  if (failure) return `HTTP ${failure.status}${failure.reason ? ` ${failure.reason}` : ''}`;
  return errorMessage(error);
}
