import { QUEUE_STORE_SPEC_VERSION } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { createMemoryQueueStore } from './memory-store.js';

const newItem = (id: string, groupKey = 'g') => ({
  id,
  groupKey,
  priority: 'interactive' as const,
  payload: { id },
  enqueuedAt: 1000,
});

describe('createMemoryQueueStore', () => {
  it('assigns increasing seq and starts items queued', async () => {
    const store = createMemoryQueueStore();
    expect(store.specificationVersion).toBe(QUEUE_STORE_SPEC_VERSION);
    const a = await store.add(newItem('a'));
    const b = await store.add(newItem('b'));
    expect(a).toMatchObject({ status: 'queued', tries: 0, seq: 1, availableAt: 1000, lastError: null });
    expect(b.seq).toBe(2);
    await expect(store.add(newItem('a'))).rejects.toThrow(/already exists/);
  });

  it('recovers unfinished items in seq order, running ones as queued with the try counted', async () => {
    const store = createMemoryQueueStore();
    for (const id of ['a', 'b', 'c', 'd']) await store.add(newItem(id));
    await store.markRunning('b', 3);
    await store.markDone('a');
    await store.markQueued('c', { tries: 1, availableAt: 9000, lastError: 'x' });
    const items = await store.recover();
    expect(items.map((i) => [i.id, i.status, i.tries])).toEqual([
      ['b', 'queued', 3],
      ['c', 'queued', 1],
      ['d', 'queued', 0],
    ]);
    expect(items[0]?.lastError).toBe('interrupted: the process stopped during try 3');
    expect(items[1]).toMatchObject({ availableAt: 9000, lastError: 'x' });
  });

  it('forgets done and cancelled items and keeps the newest dead ones', async () => {
    const store = createMemoryQueueStore({ maxDead: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.add(newItem(id));
    await store.markDone('a');
    await store.markCancelled('b');
    await store.markDead('c', 'c failed');
    await store.markDead('d', 'd failed');
    await store.markDead('e', 'e failed');
    expect((await store.recover()).length).toBe(0);
    const dead = await store.listDead(10);
    expect(dead.map((i) => [i.id, i.status, i.lastError])).toEqual([
      ['e', 'dead', 'e failed'],
      ['d', 'dead', 'd failed'],
    ]);
    expect(await store.listDead(1)).toHaveLength(1);
    expect(await store.listDead(0)).toEqual([]);
    await expect(store.markDone('a')).rejects.toThrow(/not in the store/);
  });

  it('hands out copies, so callers cannot change stored items', async () => {
    const store = createMemoryQueueStore();
    const added = await store.add(newItem('a'));
    added.status = 'dead';
    const [recovered] = await store.recover();
    expect(recovered?.status).toBe('queued');
  });
});
