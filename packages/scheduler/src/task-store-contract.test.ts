import type { ScheduledTask, TaskStore } from '@nanoclaw/core';
import { createSqliteTaskStore, type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import { insertAgentGroup, runningRun } from '@nanoclaw/db/test';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryTaskStore } from './memory-task-store.js';

const task = (id: string, overrides: Partial<ScheduledTask> = {}): ScheduledTask => ({
  id,
  groupId: 'g1',
  prompt: 'p',
  schedule: { kind: 'interval', everyMs: 60_000 },
  timezone: 'UTC',
  misfirePolicy: 'skip',
  contextMode: 'group',
  status: 'active',
  nextRun: 1000,
  lastRun: null,
  createdByGroupId: null,
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

const handles: NanoclawDatabase[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.close();
});

const stores: [string, () => Promise<TaskStore>][] = [
  ['memory', async () => createMemoryTaskStore()],
  [
    'sqlite',
    async () => {
      const handle = await openDatabase({ path: ':memory:' });
      handles.push(handle);
      await insertAgentGroup(handle, 'g1');
      return createSqliteTaskStore(handle.db);
    },
  ],
];

describe.each(stores)('TaskStore contract: %s', (_name, makeStore) => {
  it('stores copies: mutating a returned task does not change the store', async () => {
    const store = await makeStore();
    await store.insert(task('a'));
    const got = await store.get('a');
    if (got) got.prompt = 'changed';
    expect((await store.get('a'))?.prompt).toBe('p');
  });

  it('refuses a duplicate task id', async () => {
    const store = await makeStore();
    await store.insert(task('a'));
    await expect(store.insert(task('a'))).rejects.toThrow();
  });

  it('claimRun advances and logs, or does neither', async () => {
    const store = await makeStore();
    await store.insert(task('a'));
    await store.claimRun('a', { nextRun: 2000, lastRun: 1000, updatedAt: 1000 }, runningRun('r1', 'a', 1000));
    await expect(
      store.claimRun('a', { nextRun: 3000, updatedAt: 2000 }, runningRun('r1', 'a', 2000)),
    ).rejects.toThrow();
    await expect(
      store.claimRun('missing', { updatedAt: 2000 }, runningRun('r2', 'missing', 2000)),
    ).rejects.toThrow();
    expect(await store.get('a')).toMatchObject({ nextRun: 2000, lastRun: 1000, updatedAt: 1000 });
    expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(['r1']);
  });

  it('lists running runs and runs newest first, with limit and task filter', async () => {
    const store = await makeStore();
    await store.insert(task('a'));
    await store.insert(task('b'));
    await store.claimRun('a', { updatedAt: 1 }, runningRun('r1', 'a', 10));
    await store.claimRun('b', { updatedAt: 1 }, runningRun('r2', 'b', 20));
    await store.claimRun('a', { updatedAt: 1 }, runningRun('r3', 'a', 30));
    await store.finishRun('r1', {
      status: 'succeeded',
      finishedAt: 15,
      durationMs: 5,
      resultSummary: 'ok',
      error: null,
    });
    expect((await store.listRunning()).map((r) => r.id).sort()).toEqual(['r2', 'r3']);
    expect((await store.listRuns({ limit: 2 })).map((r) => r.id)).toEqual(['r3', 'r2']);
    expect((await store.listRuns({ taskId: 'a', limit: 10 })).map((r) => r.id)).toEqual(['r3', 'r1']);
    expect((await store.listRuns({ taskId: 'a', limit: 10 }))[1]).toMatchObject({
      status: 'succeeded',
      durationMs: 5,
    });
    await expect(
      store.finishRun('nope', {
        status: 'failed',
        finishedAt: 1,
        durationMs: 0,
        resultSummary: null,
        error: 'x',
      }),
    ).rejects.toThrow();
  });

  it('lists the tasks whose id starts with a prefix, case and LIKE characters taken literally', async () => {
    const store = await makeStore();
    for (const id of ['a7432b03', 'a743ffff', 'A7439999', 'a74%_x', 'b7430000']) await store.insert(task(id));
    expect((await store.list({ idPrefix: 'a743' })).map((t) => t.id).sort()).toEqual([
      'a7432b03',
      'a743ffff',
    ]);
    expect((await store.list({ idPrefix: 'a7432' })).map((t) => t.id)).toEqual(['a7432b03']);
    expect((await store.list({ idPrefix: 'a74%' })).map((t) => t.id)).toEqual(['a74%_x']);
    expect(await store.list({ idPrefix: 'a743', status: 'paused' })).toEqual([]);
  });

  it('update applies only the given fields and throws for an unknown task', async () => {
    const store = await makeStore();
    await store.insert(task('a'));
    await store.update('a', { status: 'paused', nextRun: null, updatedAt: 5 });
    expect(await store.get('a')).toEqual(task('a', { status: 'paused', nextRun: null, updatedAt: 5 }));
    await expect(store.update('zzz', { updatedAt: 5 })).rejects.toThrow();
  });
});
