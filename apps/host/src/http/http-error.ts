import { NanoclawError } from '@nanoclaw/core';
import { HostApiError } from '../host-api.js';
import { isPeopleError, type PeopleErrorCode } from '../people/index.js';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: string;
  code: string;
  /** The request field that was wrong (validation errors). */
  field?: string;
}

/** An error with an HTTP status and a message safe to show a client. */
export class HttpError extends NanoclawError {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }

  toBody(): ErrorBody {
    return {
      error: this.message,
      code: this.code,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

/** The statuses of the host API's error codes; `PeopleError`'s codes are a subset and map the same way. */
const HOST_API_STATUS: Record<HostApiError['code'] | PeopleErrorCode, number> = {
  'not-found': 404,
  invalid: 400,
  forbidden: 403,
  conflict: 409,
  unavailable: 503,
};

/**
 * `HostApiError`, `PeopleError` and `HttpError` keep their meaning; anything else is an internal error (500, no
 * details).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof HostApiError)
    return new HttpError(HOST_API_STATUS[error.code], error.code, error.message, error.field);
  if (isPeopleError(error)) return new HttpError(HOST_API_STATUS[error.code], error.code, error.message);
  return new HttpError(500, 'internal', 'internal error (see the host log)');
}
