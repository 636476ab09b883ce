import { errorMessage } from '@nanoclaw/core';
import { bodyMessage, isNotFoundBody, OpencodeProviderError } from './errors.js';

/** What every SDK call resolves to (`throwOnError: false`). */
export interface SdkResult<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/**
 * Awaits an SDK call and returns its data; throws an `OpencodeProviderError`: `session-invalid` for opencode's
 * 404 `NotFoundError` (the session is gone), `request-failed` for every other HTTP error and for network
 * errors (with the HTTP status when there was a response).
 */
export async function unwrap<T>(what: string, request: Promise<SdkResult<T>>): Promise<T> {
  let result: SdkResult<T>;
  try {
    result = await request;
  } catch (error) {
    throw new OpencodeProviderError('request-failed', `${what}: ${errorMessage(error)}`, { cause: error });
  }
  const status = result.response?.status;
  if (result.error === undefined && (status === undefined || (status >= 200 && status < 300))) {
    return result.data as T;
  }
  if (status === 404 && isNotFoundBody(result.error)) {
    throw new OpencodeProviderError('session-invalid', bodyMessage(result.error, 'session not found'), {
      cause: result.error,
      status,
    });
  }
  const detail = bodyMessage(result.error, result.response?.statusText ?? 'no response');
  throw new OpencodeProviderError('request-failed', `${what} failed (HTTP ${status ?? '?'}): ${detail}`, {
    cause: result.error,
    ...(status === undefined ? {} : { status }),
  });
}

/** opencode session ids start with `ses`; anything else cannot name a session (opencode answers 500). */
export function isSessionIdShape(id: string): boolean {
  return /^ses_[A-Za-z0-9]+$/.test(id);
}
