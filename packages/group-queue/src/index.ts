/**
 * `@nanoclaw/group-queue`: `createGroupQueue`, its memory store, its errors, and the types of its options, worker
 * and events. The stored shapes (`QueueItem`, `QueueStore`, ...) are core's: import them from `@nanoclaw/core`.
 */
export type { GroupQueueErrorCode } from './errors.js';
export { GroupQueueError, isGroupQueueError } from './errors.js';
export { createGroupQueue } from './group-queue.js';
export type { MemoryQueueStoreOptions } from './memory-store.js';
export { createMemoryQueueStore } from './memory-store.js';
export type {
  CollectOptions,
  DeadLetterEvent,
  DrainResult,
  EnqueueOptions,
  FollowUpDelivery,
  FollowUpInbox,
  GroupQueue,
  GroupQueueEventName,
  GroupQueueEvents,
  GroupQueueOptions,
  GroupWorker,
  InputDeliverEvent,
  InputReturnEvent,
  ItemEndEvent,
  ItemEvent,
  ItemOutcome,
  ItemRetryEvent,
  PushOptions,
  PushResult,
  QueueDepth,
  RecoveryResult,
  RetryOptions,
  StoreErrorEvent,
  StoreOperation,
  WorkerContext,
} from './types.js';
