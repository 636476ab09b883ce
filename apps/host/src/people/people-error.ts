import { NanoclawError } from '@nanoclaw/core';

/** Maps one to one onto the host API's error codes (400, 404, 409, 403). */
export type PeopleErrorCode = 'invalid' | 'not-found' | 'conflict' | 'forbidden';

/** A refused user, role, access, approval or question operation; the message says what to fix. Nothing changed. */
export class PeopleError extends NanoclawError<PeopleErrorCode> {
  override readonly name = 'PeopleError';
}

export function isPeopleError(error: unknown, code?: PeopleErrorCode): error is PeopleError {
  return error instanceof PeopleError && (code === undefined || error.code === code);
}
