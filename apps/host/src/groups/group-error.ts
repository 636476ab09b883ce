/** Maps one to one onto the host API's error codes (404, 400, 409, 403). */
export type GroupErrorCode = 'not-found' | 'invalid' | 'conflict' | 'forbidden';

/** A refused group or chat-binding operation; the message says what to fix. Nothing was changed. */
export class GroupError extends Error {
  override readonly name = 'GroupError';
  constructor(
    readonly code: GroupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isGroupError(error: unknown, code?: GroupErrorCode): error is GroupError {
  return error instanceof GroupError && (code === undefined || error.code === code);
}
