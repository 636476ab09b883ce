export type GroupQueueErrorCode =
  /** A constructor option is missing, out of range or of the wrong type. */
  | 'invalid-option'
  /** A group key that is not a non-empty string. */
  | 'invalid-group-key'
  /** A priority other than `interactive` or `batch`. */
  | 'invalid-priority'
  /** Any other bad argument (a negative deadline, an unknown follow-up mode). */
  | 'invalid-argument'
  /** `enqueue` after `drain()` or `shutdown()`. */
  | 'queue-closed'
  /** Used as the abort reason when an item is cancelled. */
  | 'item-cancelled'
  /** Used as the abort reason when `drain()` reaches its deadline or `shutdown()` is called. */
  | 'queue-shutdown';

/** Every error the queue throws or uses as an abort reason; `code` says which. */
export class GroupQueueError extends Error {
  override readonly name = 'GroupQueueError';
  constructor(
    readonly code: GroupQueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isGroupQueueError(error: unknown, code?: GroupQueueErrorCode): error is GroupQueueError {
  return error instanceof GroupQueueError && (code === undefined || error.code === code);
}

/** The message of an error, or its string form, for `lastError` and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
