import { type NewQueueItem, QUEUE_STORE_SPEC_VERSION, type QueueItem, type QueueStore } from '@nanoclaw/core';
import { copyItem } from './copy-item.js';

export interface MemoryQueueStoreOptions {
  /** Dead-lettered items kept for `listDead`, oldest dropped first. Default 1000. */
  maxDead?: number;
}

/**
 * A `QueueStore` in process memory: the default store, for tests and for bots that do not need work to
 * survive a restart. Finished (`done`, `cancelled`) items are forgotten at once, so memory stays bounded by
 * the unfinished work plus `maxDead` dead items.
 */
export function createMemoryQueueStore<P = unknown>(options: MemoryQueueStoreOptions = {}): QueueStore<P> {
  const maxDead = options.maxDead ?? 1000;
  const live = new Map<string, QueueItem<P>>();
  const dead: QueueItem<P>[] = [];
  let seq = 0;

  const get = (id: string): QueueItem<P> => {
    const item = live.get(id);
    if (!item) throw new Error(`queue item ${id} is not in the store (or already finished)`);
    return item;
  };

  return {
    specificationVersion: QUEUE_STORE_SPEC_VERSION,
    async add(input: NewQueueItem<P>) {
      if (live.has(input.id)) throw new Error(`queue item ${input.id} already exists`);
      seq += 1;
      const item: QueueItem<P> = {
        id: input.id,
        groupKey: input.groupKey,
        priority: input.priority,
        payload: input.payload,
        status: 'queued',
        tries: 0,
        seq,
        enqueuedAt: input.enqueuedAt,
        availableAt: input.enqueuedAt,
        lastError: null,
      };
      live.set(item.id, item);
      return copyItem(item);
    },
    async markRunning(id, tries) {
      const item = get(id);
      item.status = 'running';
      item.tries = tries;
    },
    async markQueued(id, update) {
      const item = get(id);
      item.status = 'queued';
      item.tries = update.tries;
      item.availableAt = update.availableAt;
      item.lastError = update.lastError;
    },
    async markDone(id) {
      get(id);
      live.delete(id);
    },
    async markDead(id, lastError) {
      const item = get(id);
      live.delete(id);
      const deadItem = copyItem(item);
      deadItem.status = 'dead';
      deadItem.lastError = lastError;
      dead.push(deadItem);
      if (dead.length > maxDead) dead.splice(0, dead.length - maxDead);
    },
    async markCancelled(id) {
      get(id);
      live.delete(id);
    },
    async recover() {
      const items = [...live.values()].sort((a, b) => a.seq - b.seq);
      for (const item of items) {
        if (item.status !== 'running') continue;
        item.status = 'queued';
        item.lastError = interruptedMessage(item.tries);
      }
      return items.map(copyItem);
    },
    async listDead(limit) {
      if (!(limit > 0)) return [];
      return dead.slice(-limit).reverse().map(copyItem);
    },
  };
}

/** The `lastError` a store records for a try that was running when the process stopped. */
export function interruptedMessage(tries: number): string {
  return `interrupted: the process stopped during try ${tries}`;
}
