import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUEUE_STORE_SPEC_VERSION } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NanoclawDatabase, openDatabase } from '../open-database.js';
import { createSqliteQueueStore } from './queue-store.js';

type Payload = { text: string };

const newItem = (id: string, groupKey = 'g', enqueuedAt = 1000) => ({
  id,
  groupKey,
  priority: 'interactive' as const,
  payload: { text: `payload of ${id}` },
  enqueuedAt,
});

let dir: string;
let handle: NanoclawDatabase;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-queue-store-'));
  handle = await openDatabase({ path: path.join(dir, 'nanoclaw.db') });
});

afterEach(async () => {
  await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const variants = [
  [
    'prepared statements (NanoclawDatabase)',
    () => createSqliteQueueStore<Payload>(handle, { now: () => 5000 }),
  ],
  ['kysely (Kysely<Database>)', () => createSqliteQueueStore<Payload>(handle.db, { now: () => 5000 })],
] as const;

describe.each(variants)('createSqliteQueueStore over %s', (_name, create) => {
  it('adds items queued, with increasing seq, and reads them back', async () => {
    const store = create();
    expect(store.specificationVersion).toBe(QUEUE_STORE_SPEC_VERSION);
    const a = await store.add(newItem('a'));
    const b = await store.add({ ...newItem('b'), priority: 'batch' });
    expect(a).toEqual({
      ...newItem('a'),
      status: 'queued',
      tries: 0,
      seq: a.seq,
      availableAt: 1000,
      lastError: null,
    });
    expect(b.seq).toBeGreaterThan(a.seq);
    expect(await store.recover()).toEqual([a, b]);
  });

  it('records every transition', async () => {
    const store = create();
    for (const id of ['a', 'b', 'c', 'd']) await store.add(newItem(id));
    await store.markRunning('a', 1);
    await store.markQueued('b', { tries: 2, availableAt: 9000, lastError: 'flaky' });
    await store.markDone('c');
    await store.markCancelled('d');
    const rows = await handle.db
      .selectFrom('queue_items')
      .select(['id', 'status', 'tries', 'available_at', 'last_error', 'updated_at'])
      .orderBy('seq')
      .execute();
    expect(rows).toEqual([
      { id: 'a', status: 'running', tries: 1, available_at: 1000, last_error: null, updated_at: 5000 },
      { id: 'b', status: 'queued', tries: 2, available_at: 9000, last_error: 'flaky', updated_at: 5000 },
      { id: 'c', status: 'done', tries: 0, available_at: 1000, last_error: null, updated_at: 5000 },
      { id: 'd', status: 'cancelled', tries: 0, available_at: 1000, last_error: null, updated_at: 5000 },
    ]);
  });

  it('rejects a transition for an unknown id', async () => {
    const store = create();
    await expect(store.markDone('nope')).rejects.toThrow(/nope is not in the store/);
  });

  it('rejects a duplicate id without failing the writes batched with it', async () => {
    const store = create();
    await store.add(newItem('a'));
    const results = await Promise.allSettled([
      store.add(newItem('b')),
      store.add(newItem('a')),
      store.add(newItem('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.recover()).map((i) => i.id)).toEqual(['a', 'b', 'c']);
  });

  it('recovers: running rows come back queued, the crashed try counted; finished rows stay out', async () => {
    const store = create();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.add(newItem(id));
    await store.markRunning('a', 2);
    await store.markDone('b');
    await store.markDead('c', 'gave up');
    await store.markCancelled('d');
    const items = await store.recover();
    expect(items.map((i) => [i.id, i.status, i.tries, i.lastError])).toEqual([
      ['a', 'queued', 2, 'interrupted: the process stopped during try 2'],
      ['e', 'queued', 0, null],
    ]);
    const status = await handle.db.selectFrom('queue_items').select('status').where('id', '=', 'a').execute();
    expect(status).toEqual([{ status: 'queued' }]);
  });

  it('lists dead items newest first', async () => {
    let now = 1;
    const store = createSqliteQueueStore<Payload>(handle, { now: () => now++ });
    for (const id of ['a', 'b', 'c']) await store.add(newItem(id));
    await store.markDead('b', 'b failed');
    await store.markDead('a', 'a failed');
    await store.markDead('c', 'c failed');
    expect((await store.listDead(2)).map((i) => [i.id, i.status, i.lastError])).toEqual([
      ['c', 'dead', 'c failed'],
      ['a', 'dead', 'a failed'],
    ]);
    expect(await store.listDead(0)).toEqual([]);
  });

  it('prunes finished rows older than a time', async () => {
    let now = 100;
    const store = createSqliteQueueStore<Payload>(handle, { now: () => now });
    for (const id of ['a', 'b', 'c', 'd']) await store.add(newItem(id));
    await store.markDone('a');
    await store.markCancelled('b');
    await store.markDead('c', 'x');
    now = 200;
    await store.markDone('d');
    expect(await store.prune(150)).toBe(2);
    const ids = await handle.db.selectFrom('queue_items').select('id').orderBy('seq').execute();
    expect(ids.map((r) => r.id)).toEqual(['c', 'd']);
  });

  it('writes many concurrent adds in few transactions, all durable and in order', async () => {
    const store = create();
    const added = await Promise.all(Array.from({ length: 500 }, (_, n) => store.add(newItem(`i${n}`))));
    const seqs = added.map((item) => item.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(500);
    const count = await handle.db
      .selectFrom('queue_items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(500);
  });
});

describe('createSqliteQueueStore durability and options', () => {
  it('keeps committed transitions across a reopen', async () => {
    const file = path.join(dir, 'reopen.db');
    const first = await openDatabase({ path: file });
    const store = createSqliteQueueStore<Payload>(first);
    await store.add(newItem('a'));
    await store.markRunning('a', 1);
    // No close(): the connection is dropped the way a crash would leave it.
    const second = await openDatabase({ path: file });
    const items = await createSqliteQueueStore<Payload>(second).recover();
    expect(items.map((i) => [i.id, i.status, i.tries])).toEqual([['a', 'queued', 1]]);
    await second.close();
    await first.close();
  });

  it('uses custom payload serialization', async () => {
    const store = createSqliteQueueStore<Payload>(handle, {
      serialize: (p) => `text:${p.text}`,
      deserialize: (s) => ({ text: s.slice(5) }),
    });
    await store.add(newItem('a'));
    const row = await handle.db.selectFrom('queue_items').select('payload').executeTakeFirstOrThrow();
    expect(row.payload).toBe('text:payload of a');
    expect((await store.recover())[0]?.payload).toEqual({ text: 'payload of a' });
  });

  it('refuses a payload that does not serialize to text', async () => {
    const store = createSqliteQueueStore<Payload | undefined>(handle);
    await expect(store.add({ ...newItem('a'), payload: undefined })).rejects.toThrow(/queue item a/);
  });

  it('names the item whose payload cannot be read back', async () => {
    const store = createSqliteQueueStore<Payload>(handle);
    await store.add(newItem('broken'));
    await handle.db.updateTable('queue_items').set({ payload: '{not json' }).execute();
    await expect(store.recover()).rejects.toThrow(/broken/);
  });

  it('never writes inside another caller’s open kysely transaction', async () => {
    const store = createSqliteQueueStore<Payload>(handle);
    let releaseTransaction = () => {};
    const held = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    const other = handle.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('queue_items')
        .values({
          id: 'other',
          group_key: 'g',
          priority: 'batch',
          payload: '{}',
          status: 'queued',
          tries: 0,
          enqueued_at: 0,
          available_at: 0,
          last_error: null,
          updated_at: 0,
        })
        .execute();
      await held;
      throw new Error('roll back');
    });
    let added = false;
    const adding = store.add(newItem('mine')).then(() => {
      added = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(added).toBe(false);
    releaseTransaction();
    await expect(other).rejects.toThrow('roll back');
    await adding;
    const ids = await handle.db.selectFrom('queue_items').select('id').execute();
    expect(ids).toEqual([{ id: 'mine' }]);
  });
});
