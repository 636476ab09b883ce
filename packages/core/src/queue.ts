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
  /** Tries started so far, the running one included: `markRunning` records it before the worker is called. */
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
  /** Stores a new item (`queued`, `tries` 0, `availableAt` = `enqueuedAt`); assigns `seq`. */
  add(item: NewQueueItem<P>): Promise<QueueItem<P>>;
  /**
   * The queue is about to call the worker. `tries` counts this try, so a try that a crash interrupts is
   * already counted once this write is committed. The queue calls the worker only after it resolves.
   */
  markRunning(id: string, tries: number): Promise<void>;
  markQueued(
    id: string,
    update: { tries: number; availableAt: number; lastError: string | null },
  ): Promise<void>;
  /** Finished. `done` and `cancelled` items are never read back, so a store may delete them. */
  markDone(id: string): Promise<void>;
  markDead(id: string, lastError: string): Promise<void>;
  markCancelled(id: string): Promise<void>;
  /**
   * Everything not finished (`queued` or `running`), in `seq` order, and every `running` row is set back to
   * `queued`. Items left `running` by a crash come back `queued` with `tries + 1` already counted (the crashed
   * try counts: `markRunning` wrote it), so a try that keeps crashing the process still reaches dead-letter.
   * Call it once per process, before the queue starts anything.
   */
  recover(): Promise<QueueItem<P>[]>;
  /** Dead-lettered items, newest first. */
  listDead(limit: number): Promise<QueueItem<P>[]>;
}
