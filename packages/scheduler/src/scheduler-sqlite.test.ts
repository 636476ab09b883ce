import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MisfirePolicy } from '@nanoclaw/core';
import { createSqliteTaskStore, openDatabase } from '@nanoclaw/db';
import { insertAgentGroup } from '@nanoclaw/db/test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOUR, harness, iso, SECOND } from './test-utils.js';

const T0 = Date.parse('2025-01-06T08:00:00.000Z');

describe('no double fire across a restart (SQLite, real file)', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-scheduler-'));
    file = path.join(dir, 'nanoclaw.db');
  });
  afterEach(() => {
    vi.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Process 1: create an hourly task, let it claim the 09:00 run, then die without completing it. */
  async function crashMidRun(misfirePolicy: MisfirePolicy) {
    const db = await openDatabase({ path: file });
    await insertAgentGroup(db, 'g1', T0);
    const first = harness({ completion: 'manual' }, createSqliteTaskStore(db.db));
    await first.scheduler.start();
    const task = await first.scheduler.createTask({
      groupId: 'g1',
      prompt: 'hourly digest',
      misfirePolicy,
      schedule: { kind: 'cron', expression: '0 * * * *' },
    });
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(first.runs.map((r) => iso(r.scheduledFor))).toEqual(['2025-01-06T09:00:00.000Z']);
    const runId = first.runs[0]?.runId ?? '';
    // The process dies: its timer goes with it, nothing is completed, the file is closed.
    await first.scheduler.stop();
    await db.close();
    return { taskId: task.id, runId };
  }

  it('skip: the interrupted run is marked interrupted and its due time is not fired again', async () => {
    const { taskId, runId } = await crashMidRun('skip');
    vi.setSystemTime(Date.now() + 30 * SECOND);
    const db = await openDatabase({ path: file });
    const store = createSqliteTaskStore(db.db);
    const second = harness({}, store);
    expect(await second.scheduler.start()).toEqual({ tasks: 1, interrupted: 1, rerun: 0 });
    expect(second.runs).toHaveLength(0);
    const [log] = await store.listRuns({ taskId, limit: 10 });
    expect(log).toMatchObject({ id: runId, status: 'interrupted', durationMs: 30 * SECOND });
    expect(iso((await store.get(taskId))?.nextRun)).toBe('2025-01-06T10:00:00.000Z');
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(second.runs.map((r) => iso(r.scheduledFor))).toEqual(['2025-01-06T10:00:00.000Z']);
    await second.scheduler.stop();
    await db.close();
  });

  it('run-once: the interrupted due time fires exactly once after the restart', async () => {
    const { taskId } = await crashMidRun('run-once');
    vi.setSystemTime(Date.now() + 30 * SECOND);
    const db = await openDatabase({ path: file });
    const store = createSqliteTaskStore(db.db);
    const second = harness({}, store);
    expect(await second.scheduler.start()).toEqual({ tasks: 1, interrupted: 1, rerun: 1 });
    await vi.advanceTimersByTimeAsync(HOUR - 31 * SECOND);
    expect(second.runs.map((r) => [iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T09:00:00.000Z', true],
    ]);
    await second.scheduler.stop();
    await db.close();

    // A third start finds nothing left to re-run.
    const again = await openDatabase({ path: file });
    const third = harness({}, createSqliteTaskStore(again.db));
    expect(await third.scheduler.start()).toEqual({ tasks: 1, interrupted: 0, rerun: 0 });
    expect(third.runs).toHaveLength(0);
    const statuses = (await createSqliteTaskStore(again.db).listRuns({ taskId, limit: 10 })).map(
      (l) => l.status,
    );
    expect(statuses.sort()).toEqual(['interrupted', 'succeeded']);
    await third.scheduler.stop();
    await again.close();
  });

  it('a once-task missed while down runs once at start-up, logged late, and never again', async () => {
    const db = await openDatabase({ path: file });
    await insertAgentGroup(db, 'g1', T0);
    const first = harness({}, createSqliteTaskStore(db.db));
    await first.scheduler.start();
    const task = await first.scheduler.createTask({
      groupId: 'g1',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T09:00' },
    });
    await first.scheduler.stop();
    await db.close();

    vi.setSystemTime(T0 + 5 * HOUR);
    for (let restart = 0; restart < 2; restart += 1) {
      const reopened = await openDatabase({ path: file });
      const store = createSqliteTaskStore(reopened.db);
      const next = harness({}, store);
      await next.scheduler.start();
      await vi.advanceTimersByTimeAsync(SECOND);
      expect(next.runs.map((r) => r.late)).toEqual(restart === 0 ? [true] : []);
      await next.scheduler.stop();
      expect(await store.get(task.id)).toMatchObject({ status: 'completed', nextRun: null });
      await reopened.close();
    }
  });
});
