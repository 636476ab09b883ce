import type { QueueItem, WorkPriority } from '@nanoclaw/core';
import { backoffDelay } from './backoff.js';
import { InputCollector } from './collector.js';
import { copyItem } from './copy-item.js';
import { TypedEmitter } from './emitter.js';
import { describeError, GroupQueueError } from './errors.js';
import { RunInbox } from './inbox.js';
import { LazyAbort } from './lazy-abort.js';
import {
  assertFollowUpMode,
  assertGroupKey,
  assertPriority,
  PRIORITIES,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { SeqLane } from './seq-lane.js';
import type {
  DrainResult,
  EnqueueOptions,
  GroupQueue,
  GroupQueueEventName,
  GroupQueueEvents,
  GroupQueueOptions,
  ItemOutcome,
  PushOptions,
  PushResult,
  QueueDepth,
  RecoveryResult,
  StoreOperation,
  WorkerContext,
} from './types.js';

/**
 * Creates a per-group work queue: FIFO within a group, concurrency caps per group and overall, round-robin
 * across groups, interactive before batch (with a batch share), retries with backoff, dead-letter, follow-up
 * input to active runs, cancellation and graceful drain. It loads the store's unfinished items at once
 * (see `ready()`); attach event listeners in the same tick to see what recovery dead-letters.
 */
export function createGroupQueue<P, I = unknown>(options: GroupQueueOptions<P, I>): GroupQueue<P, I> {
  return new GroupQueueImpl(resolveOptions(options));
}

interface Entry<P, I> {
  readonly seq: number;
  readonly item: QueueItem<P>;
  /** Waiting for a retry backoff: counted in `depth().retrying`. */
  retrying: boolean;
  cancelRequested: boolean;
  run: Run<P, I> | undefined;
  detachSignal: (() => void) | undefined;
}

interface Run<P, I> {
  readonly entry: Entry<P, I>;
  readonly group: GroupState<P, I>;
  readonly abort: LazyAbort;
  readonly inbox: RunInbox<I>;
  readonly startedAt: number;
  collector: InputCollector<I> | undefined;
  /** False once the run ended or was aborted: pushes then go to a new item. */
  accepting: boolean;
  workerSettled: boolean;
  abortKind: 'cancel' | 'shutdown' | undefined;
  /** Resolves once the outcome is written and the slot released. */
  settled: Promise<void>;
}

interface LaneTimer {
  readonly at: number;
  readonly handle: ReturnType<typeof setTimeout>;
}

interface GroupState<P, I> {
  readonly key: string;
  readonly lanes: Record<WorkPriority, SeqLane<Entry<P, I>>>;
  readonly timers: Record<WorkPriority, LaneTimer | undefined>;
  readonly runs: Set<Run<P, I>>;
  retrying: number;
}

type TryResult = { ok: true } | { ok: false; error: unknown };

class GroupQueueImpl<P, I> implements GroupQueue<P, I> {
  readonly #opts: ResolvedOptions<P, I>;
  readonly #log;
  readonly #events: TypedEmitter<GroupQueueEvents<P, I>>;
  readonly #groups = new Map<string, GroupState<P, I>>();
  readonly #entries = new Map<string, Entry<P, I>>();
  /** Groups that can start an item of that priority now, in round-robin order. */
  readonly #ready: Record<WorkPriority, Set<GroupState<P, I>>> = { interactive: new Set(), batch: new Set() };
  readonly #readyPromise: Promise<RecoveryResult>;
  #idleWaiters: (() => void)[] = [];
  #state: 'open' | 'draining' | 'closed' = 'open';
  #recovered = false;
  #scheduling = false;
  #queued = 0;
  #retrying = 0;
  #running = 0;
  #runningBatch = 0;
  #batchCredit = 0;
  #drainPromise: Promise<DrainResult> | undefined;
  #cutDeadline: (() => void) | undefined;

  constructor(options: ResolvedOptions<P, I>) {
    this.#opts = options;
    this.#log = options.logger.child({ component: 'group-queue' });
    this.#events = new TypedEmitter((event, error) =>
      this.#log.error({ err: error, event }, 'a group-queue event listener threw'),
    );
    this.#readyPromise = this.#recover();
    this.#readyPromise.catch(() => {});
  }

  ready(): Promise<RecoveryResult> {
    return this.#readyPromise;
  }

  async enqueue(groupKey: string, payload: P, options: EnqueueOptions = {}): Promise<QueueItem<P>> {
    assertGroupKey(groupKey);
    const priority = options.priority ?? 'interactive';
    assertPriority(priority);
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
      throw new GroupQueueError('invalid-argument', 'id must be a non-empty string');
    }
    if (options.signal?.aborted) {
      throw new GroupQueueError('item-cancelled', 'the signal was aborted before the item was enqueued', {
        cause: options.signal.reason,
      });
    }
    this.#assertOpen();
    await this.#readyPromise;
    this.#assertOpen();
    const item = await this.#opts.store.add({
      id: options.id ?? this.#opts.createId(),
      groupKey,
      priority,
      payload,
      enqueuedAt: this.#opts.now(),
    });
    // Closed while the store wrote: the item is stored `queued`, so the next process runs it.
    if (this.#state !== 'open') return copyItem(item);
    const entry = this.#addEntry(item);
    if (options.signal) this.#linkSignal(entry, options.signal);
    this.#emitItem('item-enqueue', item);
    this.#schedule();
    return copyItem(item);
  }

  push(groupKey: string, input: I, options: PushOptions = {}): PushResult {
    assertGroupKey(groupKey);
    const mode = options.mode ?? this.#opts.followUpMode(groupKey);
    assertFollowUpMode(mode, 'invalid-argument');
    const run = this.#pushTarget(groupKey);
    if (!run) return 'no-active-run';
    if (mode === 'collect') {
      this.#collector(run).add(input);
    } else {
      run.collector?.flush();
      this.#deliver(run, [input], mode === 'interrupt');
    }
    return 'delivered';
  }

  async cancel(itemId: string, reason = 'cancelled'): Promise<boolean> {
    const entry = this.#entries.get(itemId);
    if (!entry) return false;
    if (entry.run) {
      entry.cancelRequested = true;
      this.#abort(entry.run, 'cancel', reason);
      return true;
    }
    await this.#cancelQueued(entry);
    return true;
  }

  async cancelGroup(groupKey: string, reason = 'group cancelled'): Promise<number> {
    assertGroupKey(groupKey);
    const group = this.#groups.get(groupKey);
    if (!group) return 0;
    const ids = [
      ...group.lanes.interactive.values(),
      ...group.lanes.batch.values(),
      ...[...group.runs].map((run) => run.entry),
    ].map((entry) => entry.item.id);
    const results = await Promise.all(ids.map((id) => this.cancel(id, reason)));
    return results.filter(Boolean).length;
  }

  depth(groupKey?: string): QueueDepth {
    if (groupKey === undefined) return makeDepth(this.#queued, this.#retrying, this.#running);
    assertGroupKey(groupKey);
    const group = this.#groups.get(groupKey);
    if (!group) return makeDepth(0, 0, 0);
    const queued = group.lanes.interactive.size + group.lanes.batch.size;
    return makeDepth(queued, group.retrying, group.runs.size);
  }

  isActive(groupKey: string): boolean {
    assertGroupKey(groupKey);
    return (this.#groups.get(groupKey)?.runs.size ?? 0) > 0;
  }

  async idle(): Promise<void> {
    if (this.#state === 'open') await this.#readyPromise;
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  drain(deadlineMs: number): Promise<DrainResult> {
    if (this.#drainPromise) return this.#drainPromise;
    if (typeof deadlineMs !== 'number' || !(deadlineMs >= 0)) {
      return Promise.reject(
        new GroupQueueError('invalid-argument', `drain deadline must be a number >= 0, got ${deadlineMs}`),
      );
    }
    this.#state = 'draining';
    this.#stopScheduling();
    for (const run of this.#allRuns()) run.collector?.flush();
    this.#drainPromise = this.#drainRuns(deadlineMs);
    this.#checkIdle();
    return this.#drainPromise;
  }

  shutdown(): Promise<DrainResult> {
    const result = this.drain(0);
    this.#cutDeadline?.();
    return result;
  }

  on<E extends GroupQueueEventName>(
    event: E,
    listener: (payload: GroupQueueEvents<P, I>[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  off<E extends GroupQueueEventName>(event: E, listener: (payload: GroupQueueEvents<P, I>[E]) => void): void {
    this.#events.off(event, listener);
  }

  // ---- recovery and entries

  async #recover(): Promise<RecoveryResult> {
    let items: QueueItem<P>[];
    try {
      items = await this.#opts.store.recover();
    } catch (error) {
      this.#storeError('recover', null, error);
      throw error;
    }
    const result: RecoveryResult = { requeued: 0, deadLettered: 0 };
    for (const item of items) {
      if (item.tries >= this.#opts.retry.maxTries) {
        await this.#deadLetterRecovered(item);
        result.deadLettered += 1;
      } else {
        this.#addEntry(item);
        result.requeued += 1;
      }
    }
    this.#recovered = true;
    if (items.length > 0) this.#log.info({ ...result }, 'group queue recovered unfinished items');
    for (const group of this.#groups.values()) this.#refresh(group);
    this.#schedule();
    this.#checkIdle();
    return result;
  }

  async #deadLetterRecovered(item: QueueItem<P>): Promise<void> {
    const error = item.lastError ?? 'interrupted on its last try';
    item.status = 'dead';
    item.lastError = error;
    await this.#write('markDead', item.id, () => this.#opts.store.markDead(item.id, error));
    this.#emitDeadLetter(item, error);
  }

  #addEntry(item: QueueItem<P>): Entry<P, I> {
    const entry: Entry<P, I> = {
      seq: item.seq,
      item,
      retrying: false,
      cancelRequested: false,
      run: undefined,
      detachSignal: undefined,
    };
    this.#entries.set(item.id, entry);
    const group = this.#group(item.groupKey);
    if (item.availableAt > this.#opts.now()) this.#setRetrying(entry, group, true);
    group.lanes[item.priority].insert(entry);
    this.#queued += 1;
    this.#refresh(group);
    return entry;
  }

  #linkSignal(entry: Entry<P, I>, signal: AbortSignal): void {
    const onAbort = () => {
      this.cancel(entry.item.id, 'the enqueue signal was aborted').catch((error: unknown) => {
        // The store refused the removal: the item stays queued and runs; the caller's abort came too late.
        this.#log.warn(
          { itemId: entry.item.id, err: describeError(error) },
          'cancelling an aborted enqueue failed',
        );
      });
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    entry.detachSignal = () => signal.removeEventListener('abort', onAbort);
  }

  #group(key: string): GroupState<P, I> {
    let group = this.#groups.get(key);
    if (!group) {
      group = {
        key,
        lanes: { interactive: new SeqLane(), batch: new SeqLane() },
        timers: { interactive: undefined, batch: undefined },
        runs: new Set(),
        retrying: 0,
      };
      this.#groups.set(key, group);
    }
    return group;
  }

  #setRetrying(entry: Entry<P, I>, group: GroupState<P, I>, retrying: boolean): void {
    if (entry.retrying === retrying) return;
    entry.retrying = retrying;
    const delta = retrying ? 1 : -1;
    this.#retrying += delta;
    group.retrying += delta;
  }

  // ---- scheduling

  #schedule(): void {
    if (this.#state !== 'open' || !this.#recovered || this.#scheduling) return;
    this.#scheduling = true;
    try {
      while (this.#running < this.#opts.maxConcurrent) {
        const next = this.#pickNext();
        if (!next) break;
        this.#start(next.entry, next.group);
      }
    } finally {
      this.#scheduling = false;
    }
  }

  #pickNext(): { entry: Entry<P, I>; group: GroupState<P, I> } | undefined {
    const interactive = this.#ready.interactive.size > 0;
    const batch = this.#ready.batch.size > 0 && this.#runningBatch < this.#opts.maxBatchConcurrent;
    let priority: WorkPriority;
    if (interactive && batch) priority = this.#batchTurn() ? 'batch' : 'interactive';
    else if (interactive) priority = 'interactive';
    else if (batch) priority = 'batch';
    else return undefined;
    const ready = this.#ready[priority];
    const group = ready.values().next().value;
    if (!group) return undefined;
    // Taking the group out and letting #refresh put it back at the end is the round-robin.
    ready.delete(group);
    const entry = group.lanes[priority].shift();
    if (!entry) {
      this.#refresh(group);
      return this.#pickNext();
    }
    return { entry, group };
  }

  /** A contested start goes to batch once the accumulated share reaches one whole start. */
  #batchTurn(): boolean {
    this.#batchCredit += this.#opts.batchShare;
    if (this.#batchCredit < 1 - 1e-9) return false;
    this.#batchCredit -= 1;
    return true;
  }

  /** Puts the group in (or out of) the ready sets and arms the timer of a lane whose head waits a backoff. */
  #refresh(group: GroupState<P, I>): void {
    const open = this.#state === 'open' && this.#recovered;
    for (const priority of PRIORITIES) {
      const head = group.lanes[priority].peek();
      let eligible = false;
      if (head && open) {
        const waitMs = head.item.availableAt - this.#opts.now();
        if (waitMs > 0) {
          this.#armLane(group, priority, head.item.availableAt, waitMs);
        } else {
          this.#disarmLane(group, priority);
          this.#setRetrying(head, group, false);
          eligible = group.runs.size < this.#opts.perGroupConcurrency;
        }
      } else {
        this.#disarmLane(group, priority);
      }
      if (eligible) this.#ready[priority].add(group);
      else this.#ready[priority].delete(group);
    }
  }

  #armLane(group: GroupState<P, I>, priority: WorkPriority, at: number, waitMs: number): void {
    if (group.timers[priority]?.at === at) return;
    this.#disarmLane(group, priority);
    const handle = setTimeout(() => {
      group.timers[priority] = undefined;
      this.#refresh(group);
      this.#schedule();
    }, waitMs);
    group.timers[priority] = { at, handle };
  }

  #disarmLane(group: GroupState<P, I>, priority: WorkPriority): void {
    const timer = group.timers[priority];
    if (!timer) return;
    clearTimeout(timer.handle);
    group.timers[priority] = undefined;
  }

  #stopScheduling(): void {
    this.#ready.interactive.clear();
    this.#ready.batch.clear();
    for (const group of this.#groups.values()) {
      this.#disarmLane(group, 'interactive');
      this.#disarmLane(group, 'batch');
    }
  }

  #forgetIfEmpty(group: GroupState<P, I>): void {
    const empty = group.runs.size === 0 && group.lanes.interactive.size === 0 && group.lanes.batch.size === 0;
    if (!empty || this.#groups.get(group.key) !== group) return;
    this.#disarmLane(group, 'interactive');
    this.#disarmLane(group, 'batch');
    this.#ready.interactive.delete(group);
    this.#ready.batch.delete(group);
    this.#groups.delete(group.key);
  }

  // ---- running one try

  #start(entry: Entry<P, I>, group: GroupState<P, I>): void {
    const { item } = entry;
    this.#queued -= 1;
    this.#setRetrying(entry, group, false);
    this.#running += 1;
    if (item.priority === 'batch') this.#runningBatch += 1;
    item.tries += 1;
    item.status = 'running';
    const run: Run<P, I> = {
      entry,
      group,
      abort: new LazyAbort(),
      inbox: new RunInbox<I>((error) =>
        this.#log.error({ err: error, itemId: item.id }, 'a follow-up subscriber threw'),
      ),
      startedAt: this.#opts.now(),
      collector: undefined,
      accepting: true,
      workerSettled: false,
      abortKind: undefined,
      settled: Promise.resolve(),
    };
    entry.run = run;
    group.runs.add(run);
    this.#refresh(group);
    run.settled = this.#execute(run);
  }

  async #execute(run: Run<P, I>): Promise<void> {
    const { item } = run.entry;
    try {
      await this.#opts.store.markRunning(item.id, item.tries);
    } catch (error) {
      this.#storeError('markRunning', item.id, error);
      run.workerSettled = true;
      await this.#finish(run, { ok: false, error });
      return;
    }
    if (run.abort.aborted) {
      run.workerSettled = true;
      await this.#finish(run, { ok: false, error: run.abort.reason });
      return;
    }
    this.#emitItem('item-start', item);
    const { abort } = run;
    const context: WorkerContext<P, I> = {
      item: Object.freeze(copyItem(item)),
      get signal() {
        return abort.signal;
      },
      tries: item.tries,
      inputs: run.inbox,
    };
    let result: TryResult;
    try {
      await this.#opts.worker(context);
      result = { ok: true };
    } catch (error) {
      result = { ok: false, error };
    }
    run.workerSettled = true;
    await this.#finish(run, result);
  }

  async #finish(run: Run<P, I>, result: TryResult): Promise<void> {
    const leftovers = this.#sealInbox(run);
    const outcome = this.#outcomeOf(run, result);
    const error = result.ok ? null : describeError(result.error);
    if (outcome === 'retry') await this.#retry(run, error ?? 'failed');
    else await this.#settleFinal(run, outcome, error);
    this.#returnInputs(run, leftovers);
  }

  #outcomeOf(run: Run<P, I>, result: TryResult): ItemOutcome {
    if (result.ok) return 'done';
    if (run.abortKind === 'shutdown') return 'interrupted';
    if (run.abortKind === 'cancel' || run.entry.cancelRequested) return 'cancelled';
    if (isPermanentFailure(result.error)) return 'dead';
    return run.entry.item.tries < this.#opts.retry.maxTries ? 'retry' : 'dead';
  }

  async #retry(run: Run<P, I>, error: string): Promise<void> {
    const { entry, group } = run;
    const { item } = entry;
    const delayMs = backoffDelay(item.tries, this.#opts.retry, this.#opts.random);
    item.status = 'queued';
    item.availableAt = this.#opts.now() + delayMs;
    item.lastError = error;
    await this.#write('markQueued', item.id, () =>
      this.#opts.store.markQueued(item.id, {
        tries: item.tries,
        availableAt: item.availableAt,
        lastError: error,
      }),
    );
    this.#log.warn(
      { itemId: item.id, groupKey: item.groupKey, tries: item.tries, delayMs, error },
      'retrying',
    );
    this.#release(run, () => {
      group.lanes[item.priority].insert(entry);
      this.#queued += 1;
      this.#setRetrying(entry, group, delayMs > 0);
    });
    this.#emitEnd(run, 'retry', error);
    if (this.#events.has('item-retry')) {
      this.#events.emit('item-retry', { item: copyItem(item), depth: this.depth(), error, delayMs });
    }
    if (entry.cancelRequested) await this.#cancelQueued(entry);
  }

  async #settleFinal(run: Run<P, I>, outcome: ItemOutcome, error: string | null): Promise<void> {
    const { item } = run.entry;
    const store = this.#opts.store;
    if (outcome === 'done') {
      item.status = 'done';
      await this.#write('markDone', item.id, () => store.markDone(item.id));
    } else if (outcome === 'cancelled') {
      item.status = 'cancelled';
      await this.#write('markCancelled', item.id, () => store.markCancelled(item.id));
    } else if (outcome === 'dead') {
      item.status = 'dead';
      item.lastError = error ?? 'failed';
      await this.#write('markDead', item.id, () => store.markDead(item.id, item.lastError ?? 'failed'));
    }
    // `interrupted` writes nothing: the row stays `running`, and the next process recovers it.
    this.#release(run, () => this.#forget(run.entry));
    this.#emitEnd(run, outcome, error);
    if (outcome === 'cancelled') this.#emitItem('item-cancel', item);
    if (outcome === 'dead') this.#emitDeadLetter(item, item.lastError ?? 'failed');
  }

  /** Frees the slot; `requeue` puts the entry back (retry) or forgets it, before the group is looked at. */
  #release(run: Run<P, I>, requeue: () => void): void {
    const { entry, group } = run;
    this.#running -= 1;
    if (entry.item.priority === 'batch') this.#runningBatch -= 1;
    group.runs.delete(run);
    entry.run = undefined;
    requeue();
    this.#refresh(group);
    this.#forgetIfEmpty(group);
    this.#schedule();
    this.#checkIdle();
  }

  #forget(entry: Entry<P, I>): void {
    this.#entries.delete(entry.item.id);
    entry.detachSignal?.();
    entry.detachSignal = undefined;
  }

  async #cancelQueued(entry: Entry<P, I>): Promise<void> {
    const group = this.#groups.get(entry.item.groupKey);
    if (!group?.lanes[entry.item.priority].remove(entry)) return;
    this.#queued -= 1;
    this.#setRetrying(entry, group, false);
    this.#forget(entry);
    entry.item.status = 'cancelled';
    this.#refresh(group);
    this.#forgetIfEmpty(group);
    this.#checkIdle();
    await this.#write('markCancelled', entry.item.id, () => this.#opts.store.markCancelled(entry.item.id));
    this.#emitItem('item-cancel', entry.item);
  }

  #abort(run: Run<P, I>, kind: 'cancel' | 'shutdown', reason: string): void {
    if (run.abortKind || run.workerSettled) return;
    run.abortKind = kind;
    run.accepting = false;
    const code = kind === 'cancel' ? 'item-cancelled' : 'queue-shutdown';
    run.abort.abort(new GroupQueueError(code, reason));
  }

  // ---- follow-up input

  #pushTarget(groupKey: string): Run<P, I> | undefined {
    const group = this.#groups.get(groupKey);
    if (!group) return undefined;
    let latest: Run<P, I> | undefined;
    let latestInteractive: Run<P, I> | undefined;
    for (const run of group.runs) {
      if (!run.accepting || run.inbox.closed) continue;
      latest = run;
      if (run.entry.item.priority === 'interactive') latestInteractive = run;
    }
    return latestInteractive ?? latest;
  }

  #collector(run: Run<P, I>): InputCollector<I> {
    run.collector ??= new InputCollector<I>(
      this.#opts.collect.windowMs,
      this.#opts.collect.maxWaitMs,
      this.#opts.now,
      (inputs) => this.#deliver(run, this.#merge(inputs), false),
    );
    return run.collector;
  }

  #merge(inputs: I[]): I[] {
    const merge = this.#opts.collect.merge;
    if (!merge) return inputs;
    try {
      return [merge(inputs)];
    } catch (error) {
      this.#log.error({ err: error }, 'collect merge threw: delivering the inputs unmerged');
      return inputs;
    }
  }

  #deliver(run: Run<P, I>, inputs: I[], interrupt: boolean): void {
    if (!run.accepting || run.inbox.closed) {
      this.#returnInputs(run, inputs);
      return;
    }
    run.inbox.deliver(inputs, interrupt);
    if (this.#events.has('input-deliver')) {
      const { id, groupKey } = run.entry.item;
      this.#events.emit('input-deliver', { groupKey, itemId: id, count: inputs.length, interrupt });
    }
  }

  /** The run is over: no more pushes; what it never took comes back (inbox first, then collected). */
  #sealInbox(run: Run<P, I>): I[] {
    run.accepting = false;
    const collected = run.collector?.take() ?? [];
    const waiting = run.inbox.closed ? run.inbox.take() : run.inbox.close();
    return [...waiting, ...collected];
  }

  #returnInputs(run: Run<P, I>, inputs: I[]): void {
    if (inputs.length === 0) return;
    const { id, groupKey } = run.entry.item;
    if (!this.#events.has('input-return')) {
      this.#log.warn(
        { groupKey, itemId: id, count: inputs.length },
        'a run ended with follow-up inputs it never took, and nobody listens to input-return: dropped',
      );
      return;
    }
    this.#events.emit('input-return', { groupKey, itemId: id, inputs });
  }

  // ---- drain

  async #drainRuns(deadlineMs: number): Promise<DrainResult> {
    const completed = await this.#settleWithin(this.#allRuns(), deadlineMs);
    const interrupted: string[] = [];
    if (!completed) {
      for (const run of this.#allRuns()) {
        if (run.workerSettled) continue;
        this.#abort(run, 'shutdown', `the queue shut down before the item finished`);
        interrupted.push(run.entry.item.id);
      }
    }
    this.#state = 'closed';
    this.#checkIdle();
    if (interrupted.length > 0)
      this.#log.warn({ interrupted }, 'drain deadline reached: aborted running items');
    return { timedOut: interrupted.length > 0, interrupted };
  }

  /** True when every run settled before the deadline (or `shutdown()` cut it short). */
  async #settleWithin(runs: Run<P, I>[], deadlineMs: number): Promise<boolean> {
    if (runs.length === 0) return true;
    const settled = Promise.all(runs.map((run) => run.settled)).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cut = new Promise<boolean>((resolve) => {
      this.#cutDeadline = () => resolve(false);
      if (deadlineMs === 0) resolve(false);
      else timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const completed = await Promise.race([settled, cut]);
    clearTimeout(timer);
    this.#cutDeadline = undefined;
    return completed;
  }

  #allRuns(): Run<P, I>[] {
    return [...this.#groups.values()].flatMap((group) => [...group.runs]);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new GroupQueueError('queue-closed', `the queue is ${this.#state}: it accepts no new items`);
    }
  }

  #isIdle(): boolean {
    if (this.#running > 0) return false;
    return this.#state !== 'open' || (this.#recovered && this.#queued === 0);
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- store writes and events

  async #write(operation: StoreOperation, itemId: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.#storeError(operation, itemId, error);
    }
  }

  #storeError(operation: StoreOperation, itemId: string | null, error: unknown): void {
    this.#log.error({ err: error, operation, itemId }, 'queue store write failed');
    this.#events.emit('store-error', { operation, itemId, error });
  }

  #emitItem(event: 'item-enqueue' | 'item-start' | 'item-cancel', item: QueueItem<P>): void {
    if (this.#events.has(event)) this.#events.emit(event, { item: copyItem(item), depth: this.depth() });
  }

  #emitEnd(run: Run<P, I>, outcome: ItemOutcome, error: string | null): void {
    if (!this.#events.has('item-end')) return;
    const item = copyItem(run.entry.item);
    const durationMs = this.#opts.now() - run.startedAt;
    this.#events.emit('item-end', { item, depth: this.depth(), outcome, durationMs, error });
  }

  #emitDeadLetter(item: QueueItem<P>, error: string): void {
    const fields = { itemId: item.id, groupKey: item.groupKey, tries: item.tries, error };
    if (!this.#events.has('dead-letter')) {
      this.#log.error(fields, 'item dead-lettered and nobody listens to dead-letter');
      return;
    }
    this.#log.warn(fields, 'item dead-lettered');
    this.#events.emit('dead-letter', { item: copyItem(item), depth: this.depth(), error });
  }
}

function makeDepth(queued: number, retrying: number, running: number): QueueDepth {
  return { queued, retrying, running, total: queued + running };
}

/** An error that says trying again cannot help (`retryable: false`) dead-letters at once, without backoff. */
function isPermanentFailure(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false
  );
}
