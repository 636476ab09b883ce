import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';

/** Machine-readable causes of an `OpencodeProviderError`. */
export type OpencodeErrorCode =
  /** The opencode binary is missing or cannot run. */
  | 'binary-missing'
  /** `opencode serve` failed to start, or exited. */
  | 'server-exited'
  /** An HTTP request to the opencode server failed (the message is opencode's, or the network error). */
  | 'request-failed'
  /** The stored continuation (opencode session id) is gone; start a fresh session. */
  | 'session-invalid'
  /** Bad options or config. */
  | 'invalid-config'
  /** The session is closed. */
  | 'closed';

const marker = 'nanoclaw.error.provider-opencode';
const symbol = Symbol.for(marker);

/** Every error this provider throws. `message` carries opencode's own text where there is one. */
export class OpencodeProviderError extends NanoclawError<OpencodeErrorCode> {
  /** The marker `isInstance` looks for (a `Symbol.for` key: the same in every copy of this package). */
  readonly [symbol] = true;
  /** The HTTP status of the failed request, when there was a response. */
  readonly status: number | undefined;

  constructor(
    code: OpencodeErrorCode,
    message: string,
    options?: NanoclawErrorOptions & { status?: number },
  ) {
    super(code, message, options);
    this.name = 'OpencodeProviderError';
    this.status = options?.status;
  }

  /** True for an `OpencodeProviderError` from any copy of this package. */
  static override isInstance(error: unknown): error is OpencodeProviderError {
    return NanoclawError.hasMarker(error, marker);
  }
}

/** What opencode answers (HTTP 404, `NotFoundError`) for a session id it does not have. */
export const SESSION_INVALID_PATTERN = /^Session not found: /;

/**
 * True when `error` (or a cause in its chain) says the session behind a continuation is gone: a
 * `session-invalid` `OpencodeProviderError`, or opencode's `NotFoundError` body. Network errors, timeouts and
 * 5xx answers are not: the host would otherwise drop a conversation that still exists.
 */
export function isOpencodeSessionInvalid(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof OpencodeProviderError) return current.code === 'session-invalid';
    if (isNotFoundBody(current)) return true;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return false;
}

/** opencode's error body for an unknown session: `{ name: 'NotFoundError', data: { message: 'Session not found: …' } }`. */
export function isNotFoundBody(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as { name?: unknown; data?: { message?: unknown } };
  return (
    body.name === 'NotFoundError' &&
    typeof body.data?.message === 'string' &&
    SESSION_INVALID_PATTERN.test(body.data.message)
  );
}

/** The message of an opencode error body (`data.message`, `message` or `name`), else a fallback. */
export function bodyMessage(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body !== '') return body;
  if (typeof body !== 'object' || body === null) return fallback;
  const value = body as { name?: unknown; message?: unknown; data?: { message?: unknown } };
  if (typeof value.data?.message === 'string' && value.data.message !== '') return value.data.message;
  if (typeof value.message === 'string' && value.message !== '') return value.message;
  if (typeof value.name === 'string') return value.name;
  return fallback;
}
