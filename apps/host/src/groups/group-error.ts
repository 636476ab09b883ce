import { NanoclawError } from '@nanoclaw/core';
/** Maps one to one onto the host API's error codes (404, 400, 409, 403). */
export type GroupErrorCode = 'not-found' | 'invalid' | 'conflict' | 'forbidden';

/** A refused group or chat-binding operation; the message says what to fix. Nothing was changed. */
export class GroupError extends NanoclawError<GroupErrorCode> {
  override readonly name = 'GroupError';
}

export function isGroupError(error: unknown, code?: GroupErrorCode): error is GroupError {
  return error instanceof GroupError && (code === undefined || error.code === code);
}
