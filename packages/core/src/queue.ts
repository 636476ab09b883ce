export const QUEUE_STORE_SPEC_VERSION = 'v1' as const;

/** Interactive work (a chat reply) runs before batch work (scheduled tasks, bulk jobs). */
export type WorkPriority = 'interactive' | 'batch';

export type QueueItemStatus = 'queued' | 'running' | 'done' | 'dead' | 'cancelled';

export interface QueueItem<P = unknown> {
  id: string;
  /** Items with the same key run in FIFO order, at most `perGroupConcurrency` at a time. */
  groupKey: string;
  priority: WorkPriority;
  payload: P;
  status: QueueItemStatus;
  /** Tries started so far. */
  tries: number;
  /** Monotonic per store: FIFO order within a group. */
  seq: number;
  enqueuedAt: number;
  /** Not before this time (epoch ms): set by retry backoff. */
  availableAt: number;
  lastError: string | null;
}

export interface NewQueueItem<P = unknown> {
  id: string;
  groupKey: string;
  priority: WorkPriority;
  payload: P;
  enqueuedAt: number;
}

/**
 * Durable storage for the group queue. The queue keeps its working set in memory and writes through; a store
 * only has to record transitions and give everything back after a restart.
 */
export interface QueueStore<P = unknown> {
  readonly specificationVersion: typeof QUEUE_STORE_SPEC_VERSION;
  /** Stores a new item; assigns `seq`. */
  add(item: NewQueueItem<P>): Promise<QueueItem<P>>;
  markRunning(id: string, tries: number): Promise<void>;
  markQueued(
    id: string,
    update: { tries: number; availableAt: number; lastError: string | null },
  ): Promise<void>;
  markDone(id: string): Promise<void>;
  markDead(id: string, lastError: string): Promise<void>;
  markCancelled(id: string): Promise<void>;
  /**
   * Everything not finished, in `seq` order. Items left `running` by a crash come back `queued` with
   * `tries + 1` already counted (the crashed try counts).
   */
  recover(): Promise<QueueItem<P>[]>;
  /** Dead-lettered items, newest first. */
  listDead(limit: number): Promise<QueueItem<P>[]>;
}
