import { errorMessage, type QueueStore } from '@nanoclaw/core';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupQueueError, isGroupQueueError } from './errors.js';
import { createGroupQueue } from './group-queue.js';
import { createMemoryQueueStore } from './memory-store.js';
import { createControlledWorker, createRecordingStore } from './test.js';
import type { GroupQueue, GroupQueueEventName, GroupQueueEvents, GroupQueueOptions } from './types.js';

type Payload = { name: string };

/** Lets every pending promise chain (store writes, worker continuations) run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

function setup(options: Partial<GroupQueueOptions<Payload, string>> = {}) {
  const control = createControlledWorker<Payload, string>();
  const queue = createGroupQueue<Payload, string>({
    worker: control.worker,
    random: () => 0.5,
    ...options,
  });
  const startedNames = () => control.started.map((context) => context.item.payload.name);
  const add = (groupKey: string, name: string, priority: 'interactive' | 'batch' = 'interactive') =>
    queue.enqueue(groupKey, { name }, { id: name, priority });
  return { control, queue, startedNames, add };
}

function record<P, I, E extends GroupQueueEventName>(
  queue: GroupQueue<P, I>,
  event: E,
): GroupQueueEvents<P, I>[E][] {
  const events: GroupQueueEvents<P, I>[E][] = [];
  queue.on(event, (payload) => events.push(payload));
  return events;
}

function recordingLogger() {
  const lines: LogLine[] = [];
  return { logger: memoryLogger(lines), lines };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ordering and concurrency caps', () => {
  it('runs items of a group in FIFO order, one at a time by default', async () => {
    const { control, queue, startedNames, add } = setup();
    for (const name of ['a1', 'a2', 'a3']) await add('A', name);
    await flush();
    expect(startedNames()).toEqual(['a1']);
    expect(queue.isActive('A')).toBe(true);
    control.resolve('a1');
    await flush();
    control.resolve('a2');
    await flush();
    expect(startedNames()).toEqual(['a1', 'a2', 'a3']);
    expect(control.running()).toEqual(['a3']);
  });

  it('runs up to perGroupConcurrency items of one group at once, still starting them in order', async () => {
    const { control, startedNames, add } = setup({ perGroupConcurrency: 2 });
    for (const name of ['a1', 'a2', 'a3']) await add('A', name);
    await flush();
    expect(control.running()).toEqual(['a1', 'a2']);
    control.resolve('a2');
    await flush();
    expect(startedNames()).toEqual(['a1', 'a2', 'a3']);
  });

  it('runs at most maxConcurrent items overall', async () => {
    const { control, queue, add } = setup({ maxConcurrent: 3 });
    for (let n = 0; n < 10; n += 1) await add(`G${n}`, `item${n}`);
    await flush();
    expect(control.running()).toHaveLength(3);
    expect(queue.depth()).toEqual({ queued: 7, retrying: 0, running: 3, total: 10 });
    control.resolve('item0');
    await flush();
    expect(control.running()).toHaveLength(3);
    expect(queue.depth().queued).toBe(6);
  });

  it('takes groups round-robin, so a long backlog in one group does not delay the others', async () => {
    const { control, startedNames, add } = setup({ maxConcurrent: 1 });
    for (const name of ['a1', 'a2', 'a3', 'a4']) await add('A', name);
    for (const name of ['b1', 'b2']) await add('B', name);
    await add('C', 'c1');
    for (let n = 0; n < 7; n += 1) {
      await flush();
      const [running] = control.running();
      if (running) control.resolve(running);
    }
    expect(startedNames()).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
  });

  it('rotates groups on every start, also when a group may run several items at once', async () => {
    const { control, add, startedNames } = setup({ maxConcurrent: 2, perGroupConcurrency: 2 });
    await add('Z', 'z1');
    await add('Z', 'z2');
    for (const name of ['a1', 'a2', 'a3']) await add('A', name);
    for (const name of ['b1', 'b2', 'b3']) await add('B', name);
    for (const name of ['z1', 'z2', 'a1', 'b1']) {
      await flush();
      control.resolve(name);
    }
    await flush();
    expect(startedNames()).toEqual(['z1', 'z2', 'a1', 'b1', 'a2', 'b2']);
  });

  it('does not starve a group while another keeps enqueuing', async () => {
    let n = 0;
    const order: string[] = [];
    const queue = createGroupQueue<Payload>({
      maxConcurrent: 1,
      worker: async ({ item }) => {
        order.push(item.groupKey);
        if (item.groupKey === 'hot' && n < 20) {
          n += 1;
          await queue.enqueue('hot', { name: `hot${n}` });
        }
      },
    });
    await queue.enqueue('hot', { name: 'hot0' });
    await queue.enqueue('hot', { name: 'hot-extra' });
    await queue.enqueue('quiet', { name: 'quiet' });
    await flush();
    await queue.idle();
    expect(order.indexOf('quiet')).toBeLessThanOrEqual(2);
    expect(order).toHaveLength(23);
  });
});

describe('priorities', () => {
  it('starts interactive items before batch items that waited longer', async () => {
    const { control, startedNames, add } = setup({ maxConcurrent: 1, batchShare: 0 });
    await add('Z', 'blocker');
    await flush();
    for (const name of ['b1', 'b2', 'b3']) await add(`B-${name}`, name, 'batch');
    await add('I', 'reply', 'interactive');
    control.resolve('blocker');
    await flush();
    expect(startedNames()).toEqual(['blocker', 'reply']);
  });

  it('keeps a slot free for interactive work, so long batch runs never block a reply', async () => {
    const { control, add } = setup({ maxConcurrent: 3 });
    for (let n = 0; n < 5; n += 1) await add(`batch${n}`, `b${n}`, 'batch');
    await flush();
    expect(control.running()).toEqual(['b0', 'b1']);
    await add('chat', 'reply');
    await flush();
    expect(control.running()).toEqual(['b0', 'b1', 'reply']);
  });

  it('gives batch its share of contested starts, so steady interactive load does not starve it', async () => {
    const { control, startedNames, add } = setup({ maxConcurrent: 1, batchShare: 0.25 });
    await add('Z', 'blocker');
    await flush();
    await add('B1', 'batch1', 'batch');
    await add('B2', 'batch2', 'batch');
    for (let n = 0; n < 12; n += 1) await add(`I${n}`, `i${n}`);
    for (let n = 0; n < 14; n += 1) {
      const [running] = control.running();
      if (running) control.resolve(running);
      await flush();
    }
    const order = startedNames();
    expect(order.indexOf('batch1')).toBe(4);
    expect(order.indexOf('batch2')).toBe(8);
  });

  it('with batchShare 0, batch waits until no interactive item is ready', async () => {
    const { control, startedNames, add } = setup({ maxConcurrent: 1, batchShare: 0 });
    await add('Z', 'blocker');
    await flush();
    await add('B', 'batch', 'batch');
    for (let n = 0; n < 5; n += 1) await add(`I${n}`, `i${n}`);
    for (let n = 0; n < 7; n += 1) {
      const [running] = control.running();
      if (running) control.resolve(running);
      await flush();
    }
    expect(startedNames().at(-1)).toBe('batch');
  });

  it('in one group, an interactive item goes ahead of queued batch items, FIFO within each priority', async () => {
    const { control, startedNames, add } = setup({ batchShare: 0 });
    await add('A', 'running');
    await flush();
    await add('A', 'b1', 'batch');
    await add('A', 'i1');
    await add('A', 'b2', 'batch');
    await add('A', 'i2');
    for (let n = 0; n < 5; n += 1) {
      const [running] = control.running();
      if (running) control.resolve(running);
      await flush();
    }
    expect(startedNames()).toEqual(['running', 'i1', 'i2', 'b1', 'b2']);
  });
});

describe('retries and dead-letter', () => {
  it('retries with exponential backoff, then dead-letters with the last error', async () => {
    const starts: number[] = [];
    const queue = createGroupQueue<Payload>({
      retry: { maxTries: 4, baseDelayMs: 5000, factor: 2, jitter: 0 },
      worker: ({ tries }) => {
        starts.push(Date.now());
        throw new Error(`boom ${tries}`);
      },
    });
    const retries = record(queue, 'item-retry');
    const dead = record(queue, 'dead-letter');
    const t0 = Date.now();
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    await vi.advanceTimersByTimeAsync(4999);
    expect(starts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000 + 20_000);
    expect(starts.map((t) => t - t0)).toEqual([0, 5000, 15_000, 35_000]);
    expect(retries.map((r) => [r.delayMs, r.error, r.item.tries])).toEqual([
      [5000, 'boom 1', 1],
      [10_000, 'boom 2', 2],
      [20_000, 'boom 3', 3],
    ]);
    expect(retries[0]?.depth).toEqual({ queued: 1, retrying: 1, running: 0, total: 1 });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.item).toMatchObject({ id: 'x', status: 'dead', tries: 4, lastError: 'boom 4' });
    expect(dead[0]?.error).toBe('boom 4');
    expect(queue.depth().total).toBe(0);
  });

  it('dead-letters at once an error that says retrying cannot help', async () => {
    let tries = 0;
    const queue = createGroupQueue<Payload>({
      worker: () => {
        tries += 1;
        throw Object.assign(new Error('the group folder is not reachable'), { retryable: false });
      },
    });
    const retries = record(queue, 'item-retry');
    const dead = record(queue, 'dead-letter');
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tries).toBe(1);
    expect(retries).toHaveLength(0);
    expect(dead[0]?.error).toBe('the group folder is not reachable');
  });

  it('applies injected jitter deterministically', async () => {
    const starts: number[] = [];
    const queue = createGroupQueue<Payload>({
      random: () => 1,
      retry: { baseDelayMs: 1000, jitter: 0.5, maxTries: 2 },
      worker: () => {
        starts.push(Date.now());
        throw new Error('no');
      },
    });
    await queue.enqueue('A', { name: 'x' });
    await flush();
    await vi.advanceTimersByTimeAsync(1499);
    expect(starts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toHaveLength(2);
  });

  it('records the dead item in the store for listDead', async () => {
    const store = createMemoryQueueStore<Payload>();
    const queue = createGroupQueue<Payload>({
      store,
      retry: { maxTries: 1 },
      worker: () => Promise.reject(new Error('bad payload')),
    });
    queue.on('dead-letter', () => {});
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    expect(await store.listDead(5)).toMatchObject([{ id: 'x', status: 'dead', lastError: 'bad payload' }]);
  });

  it('succeeds on a later try and counts the tries', async () => {
    const { control, queue, add } = setup();
    const ends = record(queue, 'item-end');
    await add('A', 'x');
    await flush();
    control.reject('x', new Error('transient'));
    await flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(control.started.map((c) => c.tries)).toEqual([1, 2]);
    expect(control.started[1]?.item.lastError).toBe('transient');
    control.resolve('x');
    await flush();
    expect(ends.map((e) => [e.outcome, e.error])).toEqual([
      ['retry', 'transient'],
      ['done', null],
    ]);
  });

  it('keeps a retrying item at the head of its group while other groups go on', async () => {
    const { control, queue, startedNames, add } = setup();
    await add('A', 'a1');
    await add('A', 'a2');
    await add('B', 'b1');
    await flush();
    control.reject('a1');
    await flush();
    expect(queue.depth('A')).toEqual({ queued: 2, retrying: 1, running: 0, total: 2 });
    control.resolve('b1');
    await vi.advanceTimersByTimeAsync(4000);
    expect(startedNames()).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(startedNames()).toEqual(['a1', 'b1', 'a1']);
    control.resolve('a1');
    await flush();
    expect(startedNames()).toEqual(['a1', 'b1', 'a1', 'a2']);
  });

  it('commits running (with the try counted) before the worker sees the item', async () => {
    const store = createRecordingStore<Payload>();
    const seenAtStart: unknown[] = [];
    const queue = createGroupQueue<Payload>({
      store,
      worker: ({ item }) => {
        seenAtStart.push(store.calls.at(-1));
        if (item.tries === 1) throw new Error('first');
      },
      retry: { baseDelayMs: 0 },
    });
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    expect(seenAtStart).toEqual([
      { op: 'markRunning', id: 'x', tries: 1 },
      { op: 'markRunning', id: 'x', tries: 2 },
    ]);
    expect(store.calls.map((c) => c.op)).toEqual([
      'recover',
      'add',
      'markRunning',
      'markQueued',
      'markRunning',
      'markDone',
    ]);
  });
});

describe('follow-up input (push)', () => {
  it('says no-active-run when the group has no run', async () => {
    const { queue, add, control } = setup();
    expect(queue.push('A', 'hello')).toBe('no-active-run');
    await add('A', 'a1');
    await flush();
    control.resolve('a1');
    await flush();
    expect(queue.push('A', 'hello')).toBe('no-active-run');
  });

  it('queue mode hands input to the active run instead of starting another', async () => {
    const { queue, add, control } = setup();
    const deliveries = record(queue, 'input-deliver');
    await add('A', 'a1');
    await flush();
    const inputs = control.started[0]!.inputs;
    const seen: unknown[] = [];
    inputs.subscribe((delivery) => seen.push(delivery));
    expect(queue.push('A', 'one')).toBe('delivered');
    expect(queue.push('A', 'two')).toBe('delivered');
    expect(seen).toEqual([
      { count: 1, interrupt: false },
      { count: 1, interrupt: false },
    ]);
    expect(inputs.size).toBe(2);
    expect(inputs.take()).toEqual(['one', 'two']);
    expect(inputs.take()).toEqual([]);
    expect(queue.depth().total).toBe(1);
    expect(deliveries).toEqual([
      { groupKey: 'A', itemId: 'a1', count: 1, interrupt: false },
      { groupKey: 'A', itemId: 'a1', count: 1, interrupt: false },
    ]);
  });

  it('interrupt mode delivers and signals the run to interrupt its turn', async () => {
    const { queue, add, control } = setup({ followUpMode: 'interrupt' });
    await add('A', 'a1');
    await flush();
    const turn = new AbortController();
    control.started[0]!.inputs.subscribe((delivery) => {
      if (delivery.interrupt) turn.abort();
    });
    queue.push('A', 'stop that');
    expect(turn.signal.aborted).toBe(true);
    expect(control.started[0]!.inputs.take()).toEqual(['stop that']);
  });

  it('collect mode debounces for the window, merges, then delivers once', async () => {
    const { queue, add, control } = setup({
      followUpMode: 'collect',
      collect: { windowMs: 1000, merge: (parts) => parts.join(' + ') },
    });
    await add('A', 'a1');
    await flush();
    const inputs = control.started[0]!.inputs;
    const seen: unknown[] = [];
    inputs.subscribe((delivery) => seen.push(delivery));
    queue.push('A', 'one');
    await vi.advanceTimersByTimeAsync(600);
    queue.push('A', 'two');
    await vi.advanceTimersByTimeAsync(600);
    queue.push('A', 'three');
    await vi.advanceTimersByTimeAsync(999);
    expect(inputs.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([{ count: 1, interrupt: false }]);
    expect(inputs.take()).toEqual(['one + two + three']);
  });

  it('collect mode without merge delivers the inputs together, and maxWaitMs bounds the wait', async () => {
    const { queue, add, control } = setup({
      followUpMode: 'collect',
      collect: { windowMs: 1000, maxWaitMs: 2500 },
    });
    await add('A', 'a1');
    await flush();
    const inputs = control.started[0]!.inputs;
    for (let n = 0; n < 4; n += 1) {
      queue.push('A', `m${n}`);
      await vi.advanceTimersByTimeAsync(800);
    }
    // Pushes every 800 ms never leave a 1000 ms quiet window: maxWaitMs (2500) delivers.
    expect(inputs.take()).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('picks the mode per group, and per push', async () => {
    const { queue, add, control } = setup({
      followUpMode: (groupKey) => (groupKey === 'slow' ? 'collect' : 'queue'),
    });
    await add('fast', 'f');
    await add('slow', 's');
    await flush();
    queue.push('fast', 'now');
    queue.push('slow', 'later');
    expect(control.started[0]!.inputs.size).toBe(1);
    expect(control.started[1]!.inputs.size).toBe(0);
    const seen: unknown[] = [];
    control.started[1]!.inputs.subscribe((d) => seen.push(d));
    queue.push('slow', 'stop', { mode: 'interrupt' });
    // The collected input goes first, then the interrupting one.
    expect(control.started[1]!.inputs.take()).toEqual(['later', 'stop']);
    expect(seen).toEqual([
      { count: 1, interrupt: false },
      { count: 1, interrupt: true },
    ]);
  });

  it('returns inputs the run never took in an input-return event', async () => {
    const { queue, add, control } = setup({ followUpMode: 'collect', collect: { windowMs: 1000 } });
    const returned = record(queue, 'input-return');
    await add('A', 'a1');
    await flush();
    queue.push('A', 'one', { mode: 'queue' });
    queue.push('A', 'two');
    control.resolve('a1');
    await flush();
    expect(returned).toEqual([{ groupKey: 'A', itemId: 'a1', inputs: ['one', 'two'] }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(returned).toHaveLength(1);
  });

  it('logs a warning when inputs come back and nobody listens', async () => {
    const { logger, lines } = recordingLogger();
    const { queue, add, control } = setup({ logger });
    await add('A', 'a1');
    await flush();
    queue.push('A', 'one');
    control.resolve('a1');
    await flush();
    expect(lines.find((l) => l.level === 'warn')?.bindings).toMatchObject({ groupKey: 'A', count: 1 });
  });

  it('a run that closes its inbox gets no more input', async () => {
    const { queue, add, control } = setup();
    await add('A', 'a1');
    await flush();
    queue.push('A', 'early');
    expect(control.started[0]!.inputs.close()).toEqual(['early']);
    expect(control.started[0]!.inputs.closed).toBe(true);
    expect(queue.push('A', 'late')).toBe('no-active-run');
  });

  it('prefers an interactive run of the group over a batch one', async () => {
    const { queue, add, control } = setup({ perGroupConcurrency: 2, batchShare: 0 });
    await add('A', 'nightly', 'batch');
    await flush();
    await add('A', 'chat');
    await flush();
    queue.push('A', 'follow-up');
    expect(control.started.map((c) => c.inputs.size)).toEqual([0, 1]);
  });

  it('rejects a bad mode or group key', async () => {
    const { queue } = setup();
    expect(() => queue.push('A', 'x', { mode: 'shout' as never })).toThrow(GroupQueueError);
    expect(() => queue.push('', 'x')).toThrow(/group key/);
  });
});

describe('cancellation', () => {
  it('cancels a queued item: it never runs', async () => {
    const { queue, add, control, startedNames } = setup();
    const cancels = record(queue, 'item-cancel');
    await add('A', 'a1');
    await add('A', 'a2');
    await add('A', 'a3');
    await flush();
    expect(await queue.cancel('a2')).toBe(true);
    expect(await queue.cancel('a2')).toBe(false);
    expect(await queue.cancel('nope')).toBe(false);
    control.resolve('a1');
    await flush();
    expect(startedNames()).toEqual(['a1', 'a3']);
    expect(cancels.map((e) => e.item.id)).toEqual(['a2']);
  });

  it('aborts a running item with an item-cancelled reason and does not retry it', async () => {
    const { queue, add, control } = setup();
    const ends = record(queue, 'item-end');
    await add('A', 'a1');
    await flush();
    const { signal } = control.started[0]!;
    await queue.cancel('a1', 'user said stop');
    await flush();
    expect(signal.aborted).toBe(true);
    expect(isGroupQueueError(signal.reason, 'item-cancelled')).toBe(true);
    expect(errorMessage(signal.reason)).toBe('user said stop');
    expect(ends.map((e) => e.outcome)).toEqual(['cancelled']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(control.started).toHaveLength(1);
  });

  it('a worker that finishes despite the cancel counts as done', async () => {
    const control = createControlledWorker<Payload>({ ignoreAbort: true });
    const queue = createGroupQueue<Payload>({ worker: control.worker });
    const ends = record(queue, 'item-end');
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    await queue.cancel('x');
    control.resolve('x');
    await flush();
    expect(ends.map((e) => e.outcome)).toEqual(['done']);
  });

  it('cancels an item waiting for its retry', async () => {
    const { queue, add, control } = setup();
    await add('A', 'a1');
    await flush();
    control.reject('a1');
    await flush();
    expect(queue.depth().retrying).toBe(1);
    expect(await queue.cancel('a1')).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(control.started).toHaveLength(1);
    expect(queue.depth().total).toBe(0);
  });

  it('a cancel that lands while a failed try is being recorded stops the retry', async () => {
    const inner = createMemoryQueueStore<Payload>();
    let release = () => {};
    const store: QueueStore<Payload> = {
      ...inner,
      markQueued: async (id, update) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await inner.markQueued(id, update);
      },
    };
    const { queue, add, control } = setup({ store });
    const ends = record(queue, 'item-end');
    const cancels = record(queue, 'item-cancel');
    await add('A', 'a1');
    await flush();
    control.reject('a1');
    await flush();
    expect(await queue.cancel('a1')).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(control.started).toHaveLength(1);
    expect(ends.map((e) => e.outcome)).toEqual(['retry']);
    expect(cancels.map((e) => e.item.id)).toEqual(['a1']);
    expect(queue.depth().total).toBe(0);
    expect(await inner.recover()).toEqual([]);
  });

  it('cancels a whole group, running and queued, and leaves other groups alone', async () => {
    const { queue, add, control, startedNames } = setup();
    await add('A', 'a1');
    await add('A', 'a2');
    await add('B', 'b1');
    await flush();
    expect(await queue.cancelGroup('A')).toBe(2);
    await flush();
    expect(queue.depth('A').total).toBe(0);
    expect(control.running()).toEqual(['b1']);
    expect(startedNames()).toEqual(['a1', 'b1']);
    expect(await queue.cancelGroup('nobody')).toBe(0);
  });

  it('cancels an item when the signal given to enqueue aborts', async () => {
    const { queue, control } = setup();
    const controller = new AbortController();
    await queue.enqueue('A', { name: 'x' }, { id: 'x', signal: controller.signal });
    await flush();
    controller.abort();
    await flush();
    expect(control.started[0]?.signal.aborted).toBe(true);
    const aborted = AbortSignal.abort();
    await expect(queue.enqueue('A', { name: 'y' }, { signal: aborted })).rejects.toMatchObject({
      code: 'item-cancelled',
    });
  });
});

describe('drain and shutdown', () => {
  it('drain stops starting items, waits for running ones and leaves the rest queued in the store', async () => {
    const store = createMemoryQueueStore<Payload>();
    const { queue, add, control } = setup({ store });
    await add('A', 'a1');
    await add('A', 'a2');
    await flush();
    const drained = queue.drain(10_000);
    await expect(add('B', 'late')).rejects.toMatchObject({ code: 'queue-closed' });
    control.resolve('a1');
    await expect(drained).resolves.toEqual({ timedOut: false, interrupted: [] });
    expect(control.started).toHaveLength(1);
    expect((await store.recover()).map((i) => i.id)).toEqual(['a2']);
    expect(queue.drain(5)).toBe(drained);
  });

  it('aborts what still runs at the deadline; the next queue on the store runs it again', async () => {
    const store = createMemoryQueueStore<Payload>();
    const { queue, add, control } = setup({ store });
    const ends = record(queue, 'item-end');
    await add('A', 'a1');
    await flush();
    const drained = queue.drain(3000);
    await vi.advanceTimersByTimeAsync(2999);
    expect(control.started[0]?.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(drained).resolves.toEqual({ timedOut: true, interrupted: ['a1'] });
    expect(isGroupQueueError(control.started[0]?.signal.reason, 'queue-shutdown')).toBe(true);
    await flush();
    expect(ends.map((e) => e.outcome)).toEqual(['interrupted']);

    const next = setup({ store });
    await expect(next.queue.ready()).resolves.toEqual({ requeued: 1, deadLettered: 0 });
    await flush();
    expect(next.control.started.map((c) => [c.item.id, c.tries])).toEqual([['a1', 2]]);
  });

  it('shutdown aborts at once, also during a drain', async () => {
    const { queue, add, control } = setup();
    await add('A', 'a1');
    await flush();
    const drained = queue.drain(60_000);
    const shut = queue.shutdown();
    expect(shut).toBe(drained);
    await expect(shut).resolves.toEqual({ timedOut: true, interrupted: ['a1'] });
    expect(control.started[0]?.signal.aborted).toBe(true);
    expect(queue.push('A', 'x')).toBe('no-active-run');
    await queue.idle();
  });

  it('delivers collected input before draining', async () => {
    const { queue, add, control } = setup({ followUpMode: 'collect' });
    await add('A', 'a1');
    await flush();
    queue.push('A', 'pending');
    void queue.drain(1000);
    expect(control.started[0]?.inputs.take()).toEqual(['pending']);
  });

  it('rejects a bad deadline', async () => {
    const { queue } = setup();
    await expect(queue.drain(-1)).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('events, depth and idle', () => {
  it('emits enqueue, start and end with the depth at each point', async () => {
    const { queue, add, control } = setup();
    const seen: string[] = [];
    queue.on('item-enqueue', (e) => seen.push(`enqueue ${e.item.id} ${e.depth.total}`));
    queue.on('item-start', (e) => seen.push(`start ${e.item.id} ${e.item.status} ${e.depth.running}`));
    queue.on('item-end', (e) => seen.push(`end ${e.item.id} ${e.outcome} ${e.durationMs} ${e.depth.total}`));
    await add('A', 'a1');
    await flush();
    await vi.advanceTimersByTimeAsync(250);
    control.resolve('a1');
    await flush();
    expect(seen).toEqual(['enqueue a1 1', 'start a1 running 1', 'end a1 done 250 0']);
  });

  it('keeps going when a listener throws, and logs it', async () => {
    const { logger, lines } = recordingLogger();
    const { queue, add, control } = setup({ logger });
    const off = queue.on('item-start', () => {
      throw new Error('listener bug');
    });
    await add('A', 'a1');
    await flush();
    control.resolve('a1');
    await flush();
    off();
    expect(lines.some((l) => l.level === 'error' && l.bindings.component === 'group-queue')).toBe(true);
    expect(queue.depth().total).toBe(0);
  });

  it('idle resolves once nothing is queued or running', async () => {
    const { queue, add, control } = setup();
    await queue.idle();
    await add('A', 'a1');
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    control.resolve('a1');
    await flush();
    expect(idle).toBe(true);
  });

  it('depth per group', async () => {
    const { queue, add } = setup();
    await add('A', 'a1');
    await add('A', 'a2');
    await add('B', 'b1');
    await flush();
    expect(queue.depth('A')).toEqual({ queued: 1, retrying: 0, running: 1, total: 2 });
    expect(queue.depth('nobody')).toEqual({ queued: 0, retrying: 0, running: 0, total: 0 });
  });

  it('logs dead-letters at error level when nobody listens', async () => {
    const { logger, lines } = recordingLogger();
    const queue = createGroupQueue<Payload>({
      logger,
      retry: { maxTries: 1 },
      worker: () => {
        throw new Error('nope');
      },
    });
    await queue.enqueue('A', { name: 'x' }, { id: 'x' });
    await flush();
    expect(lines.find((l) => l.level === 'error')).toMatchObject({
      bindings: { component: 'group-queue', itemId: 'x', error: 'nope' },
    });
  });
});

describe('bad input', () => {
  const worker = () => {};

  it.each([
    ['maxConcurrent', { maxConcurrent: 0 }],
    ['maxConcurrent', { maxConcurrent: 1.5 }],
    ['perGroupConcurrency', { perGroupConcurrency: -1 }],
    ['maxBatchConcurrent', { maxConcurrent: 2, maxBatchConcurrent: 3 }],
    ['batchShare', { batchShare: 2 }],
    ['retry.maxTries', { retry: { maxTries: 0 } }],
    ['retry.factor', { retry: { factor: 0.5 } }],
    ['retry.jitter', { retry: { jitter: -0.1 } }],
    ['collect.windowMs', { collect: { windowMs: Number.NaN } }],
    ['follow-up mode', { followUpMode: 'loud' as never }],
  ])('rejects a bad %s', (name, options) => {
    expect(() => createGroupQueue({ worker, ...options })).toThrow(
      expect.objectContaining({ code: 'invalid-option', message: expect.stringContaining(name) }),
    );
  });

  it("refuses a store with specificationVersion 'v0', naming its version and the supported one", () => {
    const store = {
      ...createMemoryQueueStore(),
      specificationVersion: 'v0',
    } as unknown as QueueStore<unknown>;
    expect(() => createGroupQueue({ worker, store })).toThrow(
      expect.objectContaining({
        code: 'unsupported-store-version',
        message:
          'the queue store implements queue store specification version "v0", but this version of @nanoclaw/group-queue supports "v1" only',
      }),
    );
  });

  it('rejects a missing worker', () => {
    expect(() => createGroupQueue({} as never)).toThrow(expect.objectContaining({ code: 'invalid-option' }));
  });

  it('rejects an empty group key and an unknown priority', async () => {
    const { queue } = setup();
    await expect(queue.enqueue('', { name: 'x' })).rejects.toMatchObject({ code: 'invalid-group-key' });
    await expect(queue.enqueue('  ', { name: 'x' })).rejects.toMatchObject({ code: 'invalid-group-key' });
    await expect(queue.enqueue('A', { name: 'x' }, { priority: 'urgent' as never })).rejects.toMatchObject({
      code: 'invalid-priority',
    });
    await expect(queue.enqueue('A', { name: 'x' }, { id: '' })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    expect(() => queue.depth('')).toThrow(GroupQueueError);
  });
});

describe('recovery and store failures', () => {
  it('runs items a crashed process left running again, counting the crashed try', async () => {
    const store = createMemoryQueueStore<Payload>();
    const first = setup({ store });
    await first.add('A', 'a1');
    await first.add('A', 'a2');
    await flush();
    expect(first.control.running()).toEqual(['a1']);
    // "Crash": abandon the first queue without finishing anything.
    const second = setup({ store });
    await expect(second.queue.ready()).resolves.toEqual({ requeued: 2, deadLettered: 0 });
    await flush();
    expect(second.control.started.map((c) => [c.item.id, c.tries, c.item.lastError])).toEqual([
      ['a1', 2, 'interrupted: the process stopped during try 1'],
    ]);
    second.control.resolve('a1');
    await flush();
    expect(second.control.started.map((c) => c.item.id)).toEqual(['a1', 'a2']);
  });

  it('dead-letters an item that crashed the process on its last try', async () => {
    const store = createMemoryQueueStore<Payload>();
    const first = setup({ store, retry: { maxTries: 1 } });
    await first.add('A', 'a1');
    await flush();
    const second = setup({ store, retry: { maxTries: 1 } });
    const dead = record(second.queue, 'dead-letter');
    await expect(second.queue.ready()).resolves.toEqual({ requeued: 0, deadLettered: 1 });
    expect(dead[0]?.error).toBe('interrupted: the process stopped during try 1');
    expect(await store.listDead(1)).toHaveLength(1);
  });

  it('a recovered item waiting for a backoff waits out the rest of it', async () => {
    const store = createMemoryQueueStore<Payload>();
    const first = setup({ store });
    await first.add('A', 'a1');
    await flush();
    first.control.reject('a1');
    await flush();
    await vi.advanceTimersByTimeAsync(2000);
    const second = setup({ store });
    await second.queue.ready();
    expect(second.queue.depth().retrying).toBe(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(second.control.started).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.control.started.map((c) => c.tries)).toEqual([2]);
  });

  it('reports failing store writes and carries on', async () => {
    const inner = createMemoryQueueStore<Payload>();
    const store: QueueStore<Payload> = { ...inner, markDone: () => Promise.reject(new Error('disk full')) };
    const { queue, add, control } = setup({ store });
    const errors = record(queue, 'store-error');
    await add('A', 'a1');
    await add('A', 'a2');
    await flush();
    control.resolve('a1');
    await flush();
    expect(errors).toEqual([{ operation: 'markDone', itemId: 'a1', error: new Error('disk full') }]);
    expect(control.running()).toEqual(['a2']);
  });

  it('counts a failed markRunning as a failed try, without calling the worker', async () => {
    const inner = createMemoryQueueStore<Payload>();
    let failures = 1;
    const store: QueueStore<Payload> = {
      ...inner,
      markRunning: (id, tries) =>
        failures-- > 0 ? Promise.reject(new Error('locked')) : inner.markRunning(id, tries),
    };
    const { queue, add, control } = setup({ store });
    const retries = record(queue, 'item-retry');
    await add('A', 'a1');
    await flush();
    expect(control.started).toHaveLength(0);
    expect(retries.map((r) => r.error)).toEqual(['locked']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(control.started.map((c) => c.tries)).toEqual([2]);
  });

  it('rejects enqueue when the store cannot recover', async () => {
    const store: QueueStore<Payload> = {
      ...createMemoryQueueStore<Payload>(),
      recover: () => Promise.reject(new Error('corrupt')),
    };
    const queue = createGroupQueue<Payload>({ store, worker: () => {} });
    await expect(queue.ready()).rejects.toThrow('corrupt');
    await expect(queue.enqueue('A', { name: 'x' })).rejects.toThrow('corrupt');
  });
});
