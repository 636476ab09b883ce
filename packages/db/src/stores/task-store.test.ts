import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScheduledTask, TaskRunLog } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NanoclawDatabase, openDatabase } from '../open-database.js';
import { insertAgentGroup, runningRun } from '../test.js';
import { createSqliteTaskStore } from './task-store.js';

const T0 = Date.parse('2025-01-06T08:00:00Z');

function task(overrides: Partial<ScheduledTask> = {}): ScheduledTask {
  return {
    id: 't1',
    groupId: 'g1',
    prompt: 'summarise the news',
    schedule: { kind: 'cron', expression: '0 9 * * 1-5' },
    timezone: 'Europe/London',
    misfirePolicy: 'skip',
    contextMode: 'group',
    status: 'active',
    nextRun: T0 + 3_600_000,
    lastRun: null,
    createdByGroupId: 'main',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function run(overrides: Partial<TaskRunLog> = {}): TaskRunLog {
  return { ...runningRun('r1', 't1', T0 + 3_600_000, T0 + 3_600_005), ...overrides };
}

describe('createSqliteTaskStore', () => {
  let handle: NanoclawDatabase;

  beforeEach(async () => {
    handle = await openDatabase({ path: ':memory:' });
    await insertAgentGroup(handle, 'g1', T0);
    await insertAgentGroup(handle, 'g2', T0);
  });
  afterEach(async () => {
    await handle.close();
  });

  it('round-trips tasks, schedule JSON included, and filters lists', async () => {
    const store = createSqliteTaskStore(handle.db);
    expect(store.specificationVersion).toBe('v1');
    await store.insert(task());
    await store.insert(
      task({ id: 't2', groupId: 'g2', schedule: { kind: 'interval', everyMs: 60_000 }, createdAt: T0 + 1 }),
    );
    await store.insert(
      task({
        id: 't3',
        schedule: { kind: 'once', at: '2025-02-01T09:00' },
        misfirePolicy: 'run-once',
        contextMode: 'isolated',
        status: 'paused',
        createdByGroupId: null,
        createdAt: T0 + 2,
      }),
    );
    expect(await store.get('t1')).toEqual(task());
    expect(await store.get('nope')).toBeUndefined();
    expect((await store.list()).map((t) => t.id)).toEqual(['t1', 't2', 't3']);
    expect((await store.list({ groupId: 'g1' })).map((t) => t.id)).toEqual(['t1', 't3']);
    expect((await store.list({ status: 'paused' })).map((t) => t.id)).toEqual(['t3']);
    expect(await store.get('t3')).toMatchObject({
      schedule: { kind: 'once', at: '2025-02-01T09:00' },
      contextMode: 'isolated',
      createdByGroupId: null,
    });
  });

  it('refuses a task for a group that does not exist', async () => {
    const store = createSqliteTaskStore(handle.db);
    await expect(store.insert(task({ groupId: 'ghost' }))).rejects.toThrow(/FOREIGN KEY/);
  });

  it('updates only the patched fields, and throws for an unknown task', async () => {
    const store = createSqliteTaskStore(handle.db);
    await store.insert(task());
    await store.update('t1', {
      prompt: 'new',
      schedule: { kind: 'interval', everyMs: 5000 },
      status: 'paused',
      nextRun: null,
      updatedAt: T0 + 10,
    });
    expect(await store.get('t1')).toEqual(
      task({
        prompt: 'new',
        schedule: { kind: 'interval', everyMs: 5000 },
        status: 'paused',
        nextRun: null,
        updatedAt: T0 + 10,
      }),
    );
    await expect(store.update('missing', { updatedAt: 1 })).rejects.toThrow(/missing/);
  });

  it('claimRun advances the task and records the run together', async () => {
    const store = createSqliteTaskStore(handle.db);
    await store.insert(task());
    await store.claimRun(
      't1',
      { nextRun: T0 + 7_200_000, lastRun: T0 + 3_600_005, updatedAt: T0 + 3_600_005 },
      run(),
    );
    expect(await store.get('t1')).toMatchObject({ nextRun: T0 + 7_200_000, lastRun: T0 + 3_600_005 });
    expect(await store.listRunning()).toEqual([run()]);
  });

  it('claimRun is one transaction: when the run insert fails the task is not advanced', async () => {
    const store = createSqliteTaskStore(handle.db);
    await store.insert(task());
    await store.claimRun('t1', { nextRun: T0 + 7_200_000, updatedAt: T0 + 1 }, run());
    await expect(
      store.claimRun(
        't1',
        { nextRun: T0 + 10_800_000, updatedAt: T0 + 2 },
        run({ scheduledFor: T0 + 7_200_000 }),
      ),
    ).rejects.toThrow(/UNIQUE/);
    expect(await store.get('t1')).toMatchObject({ nextRun: T0 + 7_200_000, updatedAt: T0 + 1 });
    expect(await store.listRuns({ limit: 10 })).toHaveLength(1);
  });

  it('claimRun for an unknown task throws and records nothing', async () => {
    const store = createSqliteTaskStore(handle.db);
    await expect(store.claimRun('ghost', { updatedAt: 1 }, run({ taskId: 'ghost' }))).rejects.toThrow(
      /ghost/,
    );
    expect(await store.listRuns({ limit: 10 })).toEqual([]);
  });

  it('finishes runs, lists running ones, and lists runs newest first', async () => {
    const store = createSqliteTaskStore(handle.db);
    await store.insert(task());
    await store.insert(task({ id: 't2' }));
    await store.claimRun('t1', { updatedAt: 1 }, run({ id: 'a', startedAt: 100 }));
    await store.claimRun('t1', { updatedAt: 2 }, run({ id: 'b', startedAt: 200, late: true }));
    await store.claimRun(
      't2',
      { updatedAt: 3 },
      run({ id: 'c', taskId: 't2', startedAt: 200, status: 'skipped', finishedAt: 200, durationMs: 0 }),
    );
    await store.finishRun('a', {
      status: 'failed',
      finishedAt: 150,
      durationMs: 50,
      resultSummary: 'partial',
      error: 'boom',
    });
    await expect(
      store.finishRun('zzz', {
        status: 'succeeded',
        finishedAt: 1,
        durationMs: 1,
        resultSummary: null,
        error: null,
      }),
    ).rejects.toThrow(/zzz/);
    expect((await store.listRunning()).map((r) => r.id)).toEqual(['b']);
    expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect((await store.listRuns({ taskId: 't1', limit: 1 })).map((r) => r.id)).toEqual(['b']);
    expect((await store.listRuns({ taskId: 't1', limit: 10 }))[1]).toEqual(
      run({
        id: 'a',
        startedAt: 100,
        status: 'failed',
        finishedAt: 150,
        durationMs: 50,
        resultSummary: 'partial',
        error: 'boom',
      }),
    );
    expect((await store.listRuns({ taskId: 't1', limit: 10 }))[0]?.late).toBe(true);
  });

  it('keeps a claim across closing and reopening the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-task-store-'));
    const file = path.join(dir, 'nanoclaw.db');
    try {
      const first = await openDatabase({ path: file });
      await insertAgentGroup(first, 'g1', T0);
      const store = createSqliteTaskStore(first.db);
      await store.insert(task());
      await store.claimRun('t1', { nextRun: T0 + 7_200_000, updatedAt: T0 }, run());
      await first.close();

      const second = await openDatabase({ path: file });
      const reopened = createSqliteTaskStore(second.db);
      expect((await reopened.get('t1'))?.nextRun).toBe(T0 + 7_200_000);
      expect((await reopened.listRunning()).map((r) => r.id)).toEqual(['r1']);
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
