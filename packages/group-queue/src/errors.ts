import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';

const markerName = 'nanoclaw.error.group-queue';
const marker = Symbol.for(markerName);

export type GroupQueueErrorCode =
  /** A constructor option is missing, out of range or of the wrong type. */
  | 'invalid-option'
  /** A group key that is not a non-empty string. */
  | 'invalid-group-key'
  /** A priority other than `interactive` or `batch`. */
  | 'invalid-priority'
  /** Any other bad argument (a negative deadline, an unknown follow-up mode). */
  | 'invalid-argument'
  /** The store implements another version of the queue store specification. */
  | 'unsupported-store-version'
  /** `enqueue` after `drain()` or `shutdown()`. */
  | 'queue-closed'
  /** Used as the abort reason when an item is cancelled. */
  | 'item-cancelled'
  /** Used as the abort reason when `drain()` reaches its deadline or `shutdown()` is called. */
  | 'queue-shutdown';

/** Every error the queue throws or uses as an abort reason; `code` says which. A `NanoclawError`. */
export class GroupQueueError extends NanoclawError<GroupQueueErrorCode> {
  readonly [marker] = true;

  constructor(code: GroupQueueErrorCode, message: string, options?: NanoclawErrorOptions) {
    super(code, message, options);
    this.name = 'GroupQueueError';
  }

  /** True for a `GroupQueueError` from any copy of this package. */
  static override isInstance(error: unknown): error is GroupQueueError {
    return NanoclawError.hasMarker(error, markerName);
  }
}

export function isGroupQueueError(error: unknown, code?: GroupQueueErrorCode): error is GroupQueueError {
  return GroupQueueError.isInstance(error) && (code === undefined || error.code === code);
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
