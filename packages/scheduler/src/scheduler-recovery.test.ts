import type { NewTask, TaskStore } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryTaskStore } from './memory-task-store.js';
import { HOUR, harness, iso, MINUTE, SECOND } from './test-utils.js';

const T0 = Date.parse('2025-01-06T08:00:00.000Z');
const hourly = (extra: Partial<NewTask> = {}): NewTask => ({
  groupId: 'g',
  prompt: 'p',
  schedule: { kind: 'cron', expression: '0 * * * *' },
  ...extra,
});

/** Creates a task in a first scheduler "process", then stops it. */
async function firstProcess(store: TaskStore, task: NewTask) {
  const first = harness({}, store);
  await first.scheduler.start();
  const created = await first.scheduler.createTask(task);
  await first.scheduler.stop();
  return created;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('misfire policy after downtime', () => {
  it('skip (default for cron): runs nothing, logs one skip for all missed times, resumes at the next time', async () => {
    const store = createMemoryTaskStore();
    const task = await firstProcess(store, hourly());
    expect(task.misfirePolicy).toBe('skip');
    vi.setSystemTime(Date.parse('2025-01-06T13:10:00Z'));
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs).toHaveLength(0);
    const logs = await store.listRuns({ taskId: task.id, limit: 10 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      status: 'skipped',
      late: true,
      scheduledFor: Date.parse('2025-01-06T09:00:00Z'),
    });
    expect(logs[0]?.resultSummary).toContain('5 due times');
    expect(logs[0]?.resultSummary).toContain('2025-01-06T13:00:00.000Z');
    expect(iso((await store.get(task.id))?.nextRun)).toBe('2025-01-06T14:00:00.000Z');
    expect(second.events.find((e) => e.type === 'task-skip')).toMatchObject({ reason: 'missed', count: 5 });
    await vi.advanceTimersByTimeAsync(50 * MINUTE);
    expect(second.runs.map((r) => [iso(r.calledAt), r.late])).toEqual([['2025-01-06T14:00:00.000Z', false]]);
  });

  it('skip for an interval keeps its phase', async () => {
    const store = createMemoryTaskStore();
    const task = await firstProcess(store, {
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: HOUR },
    });
    vi.setSystemTime(T0 + 3 * HOUR + 20 * MINUTE);
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs).toHaveLength(0);
    expect((await store.get(task.id))?.nextRun).toBe(T0 + 4 * HOUR);
  });

  it('run-once: fires once now, late, for the latest missed time; earlier ones are logged skipped', async () => {
    const store = createMemoryTaskStore();
    const task = await firstProcess(store, hourly({ misfirePolicy: 'run-once' }));
    vi.setSystemTime(Date.parse('2025-01-06T13:10:00Z'));
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs.map((r) => [iso(r.calledAt), iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T13:10:00.000Z', '2025-01-06T13:00:00.000Z', true],
    ]);
    const logs = await store.listRuns({ taskId: task.id, limit: 10 });
    expect(logs.map((l) => [l.status, l.late]).sort()).toEqual([
      ['skipped', true],
      ['succeeded', true],
    ]);
    await vi.advanceTimersByTimeAsync(50 * MINUTE);
    expect(second.runs).toHaveLength(2);
    expect(second.runs[1]?.late).toBe(false);
  });

  it('a once-task missed during downtime runs once at start-up, logged late, then completes', async () => {
    const store = createMemoryTaskStore();
    const task = await firstProcess(store, {
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T09:00:00Z' },
    });
    vi.setSystemTime(Date.parse('2025-01-06T12:00:00Z'));
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs.map((r) => [iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T09:00:00.000Z', true],
    ]);
    expect((await store.listRuns({ taskId: task.id, limit: 5 }))[0]).toMatchObject({
      status: 'succeeded',
      late: true,
    });
    expect(await store.get(task.id)).toMatchObject({ status: 'completed', nextRun: null });
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(second.runs).toHaveLength(1);
  });

  it('a short restart (within the grace period) is not a misfire: the due time runs on time', async () => {
    const store = createMemoryTaskStore();
    await firstProcess(store, hourly());
    vi.setSystemTime(Date.parse('2025-01-06T09:00:20Z'));
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs.map((r) => [iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T09:00:00.000Z', false],
    ]);
  });

  it('paused tasks stay paused across a restart', async () => {
    const store = createMemoryTaskStore();
    const first = harness({}, store);
    await first.scheduler.start();
    const task = await first.scheduler.createTask(hourly());
    await first.scheduler.pauseTask(task.id);
    await first.scheduler.stop();
    vi.setSystemTime(T0 + 5 * HOUR);
    const second = harness({}, store);
    await second.scheduler.start();
    await vi.advanceTimersByTimeAsync(5 * HOUR);
    expect(second.runs).toHaveLength(0);
    expect(await store.listRuns({ limit: 5 })).toEqual([]);
  });
});

describe('interrupted runs', () => {
  /** First process claims a run (manual completion, never completed) and is dropped. */
  async function claimAndDrop(store: TaskStore, task: NewTask) {
    const first = harness({ completion: 'manual' }, store);
    await first.scheduler.start();
    const created = await first.scheduler.createTask(task);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(first.runs).toHaveLength(1);
    await first.scheduler.stop();
    return { task: created, runId: first.runs[0]?.runId ?? '' };
  }

  it('skip: the run is marked interrupted and its due time is not fired again', async () => {
    const store = createMemoryTaskStore();
    const { task, runId } = await claimAndDrop(store, hourly());
    vi.setSystemTime(Date.now() + 10 * SECOND);
    const second = harness({}, store);
    const report = await second.scheduler.start();
    expect(report).toEqual({ tasks: 1, interrupted: 1, rerun: 0 });
    expect(second.runs).toHaveLength(0);
    const logs = await store.listRuns({ taskId: task.id, limit: 5 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ id: runId, status: 'interrupted', durationMs: 10 * SECOND });
    expect(logs[0]?.error).toContain('interrupted');
    expect(await second.scheduler.completeRun(runId, { status: 'succeeded' })).toBe(false);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(second.runs.map((r) => iso(r.scheduledFor))).toEqual(['2025-01-06T10:00:00.000Z']);
  });

  it('run-once: the interrupted due time fires exactly once more, late', async () => {
    const store = createMemoryTaskStore();
    const { task } = await claimAndDrop(store, hourly({ misfirePolicy: 'run-once' }));
    vi.setSystemTime(Date.now() + 10 * SECOND);
    const second = harness({}, store);
    const report = await second.scheduler.start();
    expect(report).toEqual({ tasks: 1, interrupted: 1, rerun: 1 });
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(second.runs.map((r) => [iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T09:00:00.000Z', true],
    ]);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(second.runs.map((r) => iso(r.scheduledFor))).toEqual([
      '2025-01-06T09:00:00.000Z',
      '2025-01-06T10:00:00.000Z',
    ]);
    const statuses = (await store.listRuns({ taskId: task.id, limit: 10 })).map((l) => l.status).sort();
    expect(statuses).toEqual(['interrupted', 'succeeded', 'succeeded']);
  });

  it('run-once with more due times missed since: still fires exactly once', async () => {
    const store = createMemoryTaskStore();
    await claimAndDrop(store, hourly({ misfirePolicy: 'run-once' }));
    vi.setSystemTime(Date.parse('2025-01-06T12:30:00Z'));
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs.map((r) => [iso(r.scheduledFor), r.late])).toEqual([
      ['2025-01-06T12:00:00.000Z', true],
    ]);
  });

  it('an interrupted once-task (run-once by default) runs once more and stays completed', async () => {
    const store = createMemoryTaskStore();
    const { task } = await claimAndDrop(store, {
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:30:00Z' },
    });
    const second = harness({}, store);
    await second.scheduler.start();
    expect(second.runs).toHaveLength(1);
    expect(await store.get(task.id)).toMatchObject({ status: 'completed', nextRun: null });
    const third = harness({}, store);
    await second.scheduler.stop();
    await third.scheduler.start();
    expect(third.runs).toHaveLength(0);
  });
});
