import { NanoclawError } from '@nanoclaw/core';

export type TranscriptionErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'cancelled'
  | 'key-refused'
  | 'format-refused'
  | 'server-error'
  | 'bad-answer'
  | 'unreadable-file'
  | 'conversion-unavailable'
  | 'conversion-failed';

/** Why a voice note has no transcript; the message is for the user (it never holds the key). */
export class TranscriptionError extends NanoclawError<TranscriptionErrorCode> {
  override readonly name = 'TranscriptionError';
}
