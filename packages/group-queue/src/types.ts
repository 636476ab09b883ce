import type { FollowUpMode, Logger, QueueItem, QueueStore, WorkPriority } from '@nanoclaw/core';

/** One try of one item. Resolve to finish it; throw to retry it (or dead-letter it after the last try). */
export type GroupWorker<P, I = unknown> = (context: WorkerContext<P, I>) => Promise<void> | void;

export interface WorkerContext<P, I = unknown> {
  /** A snapshot of the item as this try started (`status` is `running`, `tries` counts this try). */
  readonly item: Readonly<QueueItem<P>>;
  /**
   * Aborted when the item (or its group) is cancelled, or when `drain()` reaches its deadline / `shutdown()`
   * is called. `signal.reason` is a `GroupQueueError` with code `item-cancelled` or `queue-shutdown`.
   */
  readonly signal: AbortSignal;
  /** The number of this try, from 1. */
  readonly tries: number;
  /** Follow-up input pushed to this group while this run is active (`queue.push`). */
  readonly inputs: FollowUpInbox<I>;
}

/** What a subscriber of a run's inbox is told on each delivery. Take the inputs themselves with `take()`. */
export interface FollowUpDelivery {
  /** How many inputs this delivery added. */
  readonly count: number;
  /** True in `interrupt` mode: stop the current turn and start a new one with the waiting inputs. */
  readonly interrupt: boolean;
}

/**
 * The follow-up inputs of one run. The run takes them between turns; inputs it never takes are handed back
 * in an `input-return` event when it ends. Nothing here is persisted: the caller keeps its own record.
 */
export interface FollowUpInbox<I> {
  /** Inputs delivered and not yet taken. */
  readonly size: number;
  /** True once the run called `close()`, ended, or was aborted: `push` then starts a new item instead. */
  readonly closed: boolean;
  /** Takes every waiting input, oldest first. */
  take(): I[];
  /** Called after each delivery. Returns the unsubscribe function. */
  subscribe(listener: (delivery: FollowUpDelivery) => void): () => void;
  /** Stops accepting follow-ups (later pushes return `no-active-run`) and takes what is waiting. */
  close(): I[];
}

export type PushResult = 'delivered' | 'no-active-run';

export interface PushOptions {
  /** Overrides the group's follow-up mode for this input (e.g. `interrupt` for a stop command). */
  mode?: FollowUpMode;
}

export interface EnqueueOptions {
  /** Default `interactive`. */
  priority?: WorkPriority;
  /** Default a random UUID. Must be unique in the store. */
  id?: string;
  /** Aborting it cancels the item (see `cancel`). */
  signal?: AbortSignal;
}

export interface RetryOptions {
  /** Tries before an item is dead-lettered, the first one included. Default 5. */
  maxTries?: number;
  /** Delay before the second try. Default 5000 ms. */
  baseDelayMs?: number;
  /** Each further delay is multiplied by it. Default 2. */
  factor?: number;
  /** Upper bound of a delay. Default 300000 ms (5 min). */
  maxDelayMs?: number;
  /** Random spread as a fraction of the delay: 0.2 is ±20 %. Default 0.2; 0 disables jitter. */
  jitter?: number;
}

export interface CollectOptions<I> {
  /** Quiet time after the last push before the collected inputs are delivered. Default 1500 ms. */
  windowMs?: number;
  /** Longest time the first collected input waits, however often pushes keep coming. Default 10000 ms. */
  maxWaitMs?: number;
  /** Merges the collected inputs into one. Without it they are delivered together, unmerged. */
  merge?: (inputs: I[]) => I;
}

export interface GroupQueueOptions<P, I = unknown> {
  /** Runs one try of one item. */
  worker: GroupWorker<P, I>;
  /** Where items are recorded. Default `createMemoryQueueStore()` (nothing survives a restart). */
  store?: QueueStore<P>;
  /** Items running at once, over all groups. Default 5. */
  maxConcurrent?: number;
  /** Items of one group running at once. Default 1. */
  perGroupConcurrency?: number;
  /**
   * Batch items running at once. Default `maxConcurrent - 1` (at least 1), which keeps a slot free for
   * interactive work so a long batch never blocks a reply.
   */
  maxBatchConcurrent?: number;
  /**
   * When interactive and batch items both wait for a free slot, this fraction of those starts goes to batch,
   * so batch work is never starved. Default 0.2 (every fifth contested start). 0 means strict priority.
   */
  batchShare?: number;
  retry?: RetryOptions;
  /** How `push` hands input to an active run: one mode, or one per group. Default `queue`. */
  followUpMode?: FollowUpMode | ((groupKey: string) => FollowUpMode);
  collect?: CollectOptions<I>;
  /** Default a no-op logger. */
  logger?: Logger;
  /** Jitter source in [0, 1). Default `Math.random`; inject a constant for deterministic tests. */
  random?: () => number;
  /** Clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Default `crypto.randomUUID`. */
  createId?: () => string;
}

/** How many items there are. `queued` counts every item waiting to start, `retrying` included. */
export interface QueueDepth {
  queued: number;
  /** Queued items waiting for a retry backoff (or a backoff from before a restart). */
  retrying: number;
  running: number;
  /** `queued + running`. */
  total: number;
}

export type ItemOutcome = 'done' | 'retry' | 'dead' | 'cancelled' | 'interrupted';

export interface ItemEvent<P> {
  item: QueueItem<P>;
  depth: QueueDepth;
}

export interface ItemEndEvent<P> extends ItemEvent<P> {
  /**
   * `interrupted`: aborted by `drain()`'s deadline or `shutdown()`. It is left `running` in the store, so the
   * next process recovers it like a crash (the try counts).
   */
  outcome: ItemOutcome;
  durationMs: number;
  /** The error when the try failed. */
  error: string | null;
}

export interface ItemRetryEvent<P> extends ItemEvent<P> {
  error: string;
  delayMs: number;
}

export interface DeadLetterEvent<P> extends ItemEvent<P> {
  error: string;
}

export interface InputDeliverEvent {
  groupKey: string;
  itemId: string;
  count: number;
  interrupt: boolean;
}

/** A run ended (or was aborted) with follow-up inputs it never took. Enqueue a new item for them. */
export interface InputReturnEvent<I> {
  groupKey: string;
  itemId: string;
  inputs: I[];
}

export type StoreOperation =
  | 'recover'
  | 'markRunning'
  | 'markQueued'
  | 'markDone'
  | 'markDead'
  | 'markCancelled';

/** A store write failed. The queue carries on from its in-memory state. */
export interface StoreErrorEvent {
  operation: StoreOperation;
  itemId: string | null;
  error: unknown;
}

export interface GroupQueueEvents<P, I = unknown> {
  'item-enqueue': ItemEvent<P>;
  'item-start': ItemEvent<P>;
  'item-end': ItemEndEvent<P>;
  'item-retry': ItemRetryEvent<P>;
  'item-cancel': ItemEvent<P>;
  'dead-letter': DeadLetterEvent<P>;
  'input-deliver': InputDeliverEvent;
  'input-return': InputReturnEvent<I>;
  'store-error': StoreErrorEvent;
}

export type GroupQueueEventName = keyof GroupQueueEvents<unknown, unknown>;

export interface RecoveryResult {
  /** Unfinished items loaded from the store (crashed runs included). */
  requeued: number;
  /** Items that crashed on their last try and were dead-lettered instead. */
  deadLettered: number;
}

export interface DrainResult {
  /** True when running items had to be aborted at the deadline. */
  timedOut: boolean;
  /** Ids of the items aborted at the deadline. */
  interrupted: string[];
}

export interface GroupQueue<P, I = unknown> {
  /** Resolves once the store's unfinished items are loaded (started at creation). */
  ready(): Promise<RecoveryResult>;
  /** Records the item in the store, then schedules it. Resolves with the stored item. */
  enqueue(groupKey: string, payload: P, options?: EnqueueOptions): Promise<QueueItem<P>>;
  /** Hands input to the group's active run, if it has one that accepts follow-ups. Never persisted. */
  push(groupKey: string, input: I, options?: PushOptions): PushResult;
  /** Cancels a queued item, or aborts a running one. False when the id is unknown or finished. */
  cancel(itemId: string, reason?: string): Promise<boolean>;
  /** Cancels every queued and running item of the group. Resolves with how many. */
  cancelGroup(groupKey: string, reason?: string): Promise<number>;
  /** Whole queue, or one group. */
  depth(groupKey?: string): QueueDepth;
  /** True while the group has an item running. */
  isActive(groupKey: string): boolean;
  /** Resolves when nothing is queued or running (or once the queue is closed). */
  idle(): Promise<void>;
  /**
   * Stops starting items, waits up to `deadlineMs` for the running ones, then aborts the rest. Queued items
   * stay in the store for the next start. Calling it again returns the same promise.
   */
  drain(deadlineMs: number): Promise<DrainResult>;
  /** `drain(0)`: aborts whatever is running now. */
  shutdown(): Promise<DrainResult>;
  on<E extends GroupQueueEventName>(
    event: E,
    listener: (payload: GroupQueueEvents<P, I>[E]) => void,
  ): () => void;
  off<E extends GroupQueueEventName>(event: E, listener: (payload: GroupQueueEvents<P, I>[E]) => void): void;
}
