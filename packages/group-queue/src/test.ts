/**
 * Test doubles for code that uses the group queue: `@nanoclaw/group-queue/test`.
 */
import type { NewQueueItem, QueueItem, QueueStore } from '@nanoclaw/core';
import { createMemoryQueueStore } from './memory-store.js';
import type { GroupWorker, WorkerContext } from './types.js';

export interface ControlledWorker<P, I = unknown> {
  readonly worker: GroupWorker<P, I>;
  /** Every try's context, in start order. */
  readonly started: WorkerContext<P, I>[];
  /** Item ids of the tries still running. */
  running(): string[];
  /** Finishes the running try of the item. Throws if it is not running. */
  resolve(itemId: string): void;
  /** Fails the running try of the item. Throws if it is not running. */
  reject(itemId: string, error?: unknown): void;
  /** Resolves with the context of try number `count` (from 1) once it has started. */
  waitForStart(count: number): Promise<WorkerContext<P, I>>;
}

export interface ControlledWorkerOptions {
  /** Keep running after the signal aborts (a stubborn worker). Default false: reject with the reason. */
  ignoreAbort?: boolean;
}

/**
 * A worker whose tries finish only when the test says so. By default a try rejects with the abort reason
 * as soon as its signal aborts.
 */
export function createControlledWorker<P, I = unknown>(
  options: ControlledWorkerOptions = {},
): ControlledWorker<P, I> {
  const started: WorkerContext<P, I>[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  const startWaiters: { count: number; resolve: (context: WorkerContext<P, I>) => void }[] = [];

  const settle = (itemId: string) => {
    const entry = pending.get(itemId);
    if (!entry) throw new Error(`item ${itemId} is not running`);
    pending.delete(itemId);
    return entry;
  };

  const worker: GroupWorker<P, I> = (context) =>
    new Promise<void>((resolve, reject) => {
      pending.set(context.item.id, { resolve, reject });
      if (!options.ignoreAbort) {
        context.signal.addEventListener('abort', () => {
          if (pending.get(context.item.id)?.reject === reject)
            settle(context.item.id).reject(context.signal.reason);
        });
      }
      started.push(context);
      for (const waiter of startWaiters.filter((w) => w.count === started.length)) waiter.resolve(context);
    });

  return {
    worker,
    started,
    running: () => [...pending.keys()],
    resolve: (itemId) => settle(itemId).resolve(),
    reject: (itemId, error = new Error('failed')) => settle(itemId).reject(error),
    waitForStart: (count) => {
      const context = started[count - 1];
      if (context) return Promise.resolve(context);
      return new Promise((resolve) => startWaiters.push({ count, resolve }));
    },
  };
}

export type StoreCall =
  | { op: 'add'; id: string }
  | { op: 'markRunning'; id: string; tries: number }
  | { op: 'markQueued'; id: string; tries: number; availableAt: number; lastError: string | null }
  | { op: 'markDone'; id: string }
  | { op: 'markDead'; id: string; lastError: string }
  | { op: 'markCancelled'; id: string }
  | { op: 'recover' }
  | { op: 'listDead'; limit: number };

export interface RecordingStore<P> extends QueueStore<P> {
  /** Every call, in order, recorded once it resolved. */
  readonly calls: StoreCall[];
}

/** Wraps a store (default a memory store) and records every completed call. */
export function createRecordingStore<P = unknown>(
  inner: QueueStore<P> = createMemoryQueueStore<P>(),
): RecordingStore<P> {
  const calls: StoreCall[] = [];
  const record = async <T>(call: StoreCall, result: Promise<T>): Promise<T> => {
    const value = await result;
    calls.push(call);
    return value;
  };
  return {
    specificationVersion: inner.specificationVersion,
    calls,
    add: (item: NewQueueItem<P>): Promise<QueueItem<P>> =>
      record({ op: 'add', id: item.id }, inner.add(item)),
    markRunning: (id, tries) => record({ op: 'markRunning', id, tries }, inner.markRunning(id, tries)),
    markQueued: (id, update) => record({ op: 'markQueued', id, ...update }, inner.markQueued(id, update)),
    markDone: (id) => record({ op: 'markDone', id }, inner.markDone(id)),
    markDead: (id, lastError) => record({ op: 'markDead', id, lastError }, inner.markDead(id, lastError)),
    markCancelled: (id) => record({ op: 'markCancelled', id }, inner.markCancelled(id)),
    recover: () => record({ op: 'recover' }, inner.recover()),
    listDead: (limit) => record({ op: 'listDead', limit }, inner.listDead(limit)),
  };
}
