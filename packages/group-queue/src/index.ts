export type { FollowUpMode, QueueItem, QueueItemStatus, QueueStore, WorkPriority } from '@nanoclaw/core';
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
