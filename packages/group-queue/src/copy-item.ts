import type { QueueItem } from '@nanoclaw/core';

/** A shallow copy of an item, field by field (much faster in V8 than a spread). */
export function copyItem<P>(item: QueueItem<P>): QueueItem<P> {
  return {
    id: item.id,
    groupKey: item.groupKey,
    priority: item.priority,
    payload: item.payload,
    status: item.status,
    tries: item.tries,
    seq: item.seq,
    enqueuedAt: item.enqueuedAt,
    availableAt: item.availableAt,
    lastError: item.lastError,
  };
}
