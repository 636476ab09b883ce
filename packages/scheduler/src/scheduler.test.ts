import { errorMessage, type TaskStore } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScheduleValidationError, TaskNotFoundError } from './errors.js';
import { createMemoryTaskStore } from './memory-task-store.js';
import { createScheduler } from './scheduler.js';
import { DAY, HOUR, harness, iso, MINUTE, recordingLogger, SECOND } from './test-utils.js';

const T0 = Date.parse('2025-01-06T08:00:00.000Z');

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('timing', () => {
  it('fires a cron task exactly at its due time, from one pending timer', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g1',
      prompt: 'morning brief',
      schedule: { kind: 'cron', expression: '0 9 * * *' },
    });
    expect(iso(task.nextRun)).toBe('2025-01-06T09:00:00.000Z');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map((r) => iso(r.calledAt))).toEqual(['2025-01-06T09:00:00.000Z']);
    expect(runs[0]).toMatchObject({ taskId: task.id, groupId: 'g1', prompt: 'morning brief', late: false });
    expect(runs[0]?.scheduledFor).toBe(runs[0]?.calledAt);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(runs.map((r) => iso(r.calledAt))).toEqual([
      '2025-01-06T09:00:00.000Z',
      '2025-01-07T09:00:00.000Z',
    ]);
    expect(vi.getTimerCount()).toBe(1);
    await scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps exactly one timer for many tasks and re-arms it for the earliest on every change', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    const late = await scheduler.createTask({
      groupId: 'g',
      prompt: 'b',
      schedule: { kind: 'interval', everyMs: HOUR },
    });
    expect(scheduler.nextWakeAt()).toBe(T0 + HOUR);
    const early = await scheduler.createTask({
      groupId: 'g',
      prompt: 'a',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    for (let i = 0; i < 20; i += 1) {
      await scheduler.createTask({
        groupId: 'g',
        prompt: `x${i}`,
        schedule: { kind: 'interval', everyMs: DAY + i },
      });
    }
    expect(vi.getTimerCount()).toBe(1);
    expect(scheduler.nextWakeAt()).toBe(T0 + MINUTE);
    await scheduler.pauseTask(early.id);
    expect(scheduler.nextWakeAt()).toBe(T0 + HOUR);
    await scheduler.cancelTask(late.id);
    expect(scheduler.nextWakeAt()).toBe(T0 + DAY);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(DAY - 1);
    expect(runs).toHaveLength(0);
  });

  it('fires a once-task 60 days out on time (chained timers beyond 24.8 days)', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-03-07T08:00:00Z' },
    });
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(runs).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(30 * DAY - 1);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map((r) => iso(r.calledAt))).toEqual(['2025-03-07T08:00:00.000Z']);
  });

  it('reads a once-time without an offset in the task zone, else the scheduler zone', async () => {
    const { scheduler, runs } = harness({ timezone: 'America/New_York' });
    await scheduler.start();
    const hostZone = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T09:00' },
    });
    const ownZone = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      timezone: 'Asia/Tokyo',
      schedule: { kind: 'once', at: '2025-01-07T09:00' },
    });
    expect(hostZone.timezone).toBe('America/New_York');
    expect(iso(hostZone.nextRun)).toBe('2025-01-06T14:00:00.000Z');
    expect(iso(ownZone.nextRun)).toBe('2025-01-07T00:00:00.000Z');
    await vi.advanceTimersByTimeAsync(DAY);
    expect(runs.map((r) => iso(r.calledAt))).toEqual([
      '2025-01-06T14:00:00.000Z',
      '2025-01-07T00:00:00.000Z',
    ]);
  });
});

describe('DST, end to end', () => {
  /** From `from`, a scheduler with one daily cron task in `timezone`: when it ran over the next `days` days. */
  async function dailyRuns(from: string, timezone: string, expression: string, days: number) {
    vi.setSystemTime(Date.parse(from));
    const { scheduler, runs } = harness();
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      timezone,
      schedule: { kind: 'cron', expression },
    });
    await vi.advanceTimersByTimeAsync(days * DAY);
    await scheduler.stop();
    return runs.map((r) => iso(r.calledAt));
  }

  it('Europe/London: a 01:30 daily job runs once on spring-forward (02:30 BST) and once on fall-back', async () => {
    expect(await dailyRuns('2025-03-29T00:00:00Z', 'Europe/London', '30 1 * * *', 3)).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:30:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
    expect(await dailyRuns('2025-10-25T00:00:00Z', 'Europe/London', '30 1 * * *', 3)).toEqual([
      '2025-10-25T00:30:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('America/New_York: 02:30 runs once on spring-forward, 01:30 once on fall-back', async () => {
    expect(await dailyRuns('2025-03-08T00:00:00Z', 'America/New_York', '30 2 * * *', 3)).toEqual([
      '2025-03-08T07:30:00.000Z',
      '2025-03-09T07:30:00.000Z',
      '2025-03-10T06:30:00.000Z',
    ]);
    expect(await dailyRuns('2025-11-01T12:00:00Z', 'America/New_York', '30 1 * * *', 2)).toEqual([
      '2025-11-02T05:30:00.000Z',
      '2025-11-03T06:30:00.000Z',
    ]);
  });
});

describe('intervals', () => {
  it('stay anchored to the scheduled time: a slow callback does not shift the next run', async () => {
    const { scheduler, runs } = harness({
      onRun: () => new Promise((resolve) => setTimeout(() => resolve({ status: 'succeeded' }), 700)),
    });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: SECOND },
    });
    await vi.advanceTimersByTimeAsync(5 * SECOND);
    expect(runs.map((r) => r.calledAt - T0)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(runs.map((r) => r.scheduledFor - T0)).toEqual([1000, 2000, 3000, 4000, 5000]);
    const logs = await scheduler.listRuns({ limit: 10 });
    expect(logs.filter((l) => l.status === 'succeeded').map((l) => l.durationMs)).toEqual([
      700, 700, 700, 700,
    ]);
  });

  it('never overlap: due times reached while the previous run is going are logged skipped and the schedule advances', async () => {
    const { scheduler, runs, events } = harness({
      onRun: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 2500)),
    });
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: SECOND },
    });
    await vi.advanceTimersByTimeAsync(4 * SECOND);
    // runs at 1s (busy until 3.5s); 2s and 3s are skipped; 4s runs.
    expect(runs.map((r) => r.calledAt - T0)).toEqual([1000, 4000]);
    const logs = await scheduler.listRuns({ taskId: task.id, limit: 10 });
    const skipped = logs.filter((l) => l.status === 'skipped');
    expect(skipped.map((l) => l.scheduledFor - T0).sort()).toEqual([2000, 3000]);
    expect(skipped[0]?.resultSummary).toContain('still running');
    expect(skipped[0]?.late).toBe(false);
    expect(events.filter((e) => e.type === 'task-skip')).toHaveLength(2);
    expect((await scheduler.getTask(task.id))?.nextRun).toBe(T0 + 5000);
  });
});

describe('run completion', () => {
  it('auto: a returned outcome, a throw and a rejection are all logged with duration', async () => {
    let call = 0;
    const { scheduler } = harness({
      onRun: async () => {
        call += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (call === 1) return { status: 'succeeded', summary: 'all good' };
        if (call === 2) throw new Error('model timed out');
        return { status: 'failed', error: 'no results' };
      },
    });
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    await vi.advanceTimersByTimeAsync(3 * MINUTE + SECOND);
    const logs = (await scheduler.listRuns({ taskId: task.id, limit: 10 })).reverse();
    expect(logs.map((l) => [l.status, l.durationMs, l.resultSummary, l.error])).toEqual([
      ['succeeded', 250, 'all good', null],
      ['failed', 250, null, 'model timed out'],
      ['failed', 250, null, 'no results'],
    ]);
    expect(logs.every((l) => l.finishedAt === l.startedAt + 250)).toBe(true);
  });

  it('a synchronous throw fails the run without stopping the schedule', async () => {
    const { scheduler, runs } = harness({
      onRun: () => {
        throw new Error('queue full');
      },
    });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(runs).toHaveLength(2);
    const logs = await scheduler.listRuns({ limit: 10 });
    expect(logs.map((l) => [l.status, l.error])).toEqual([
      ['failed', 'queue full'],
      ['failed', 'queue full'],
    ]);
  });

  it('manual: the run stays running until completeRun, and the task does not overlap meanwhile', async () => {
    const { scheduler, runs } = harness({ completion: 'manual' });
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    await vi.advanceTimersByTimeAsync(MINUTE);
    const runId = runs[0]?.runId ?? '';
    expect(scheduler.activeRuns()).toEqual([runId]);
    expect((await scheduler.listRuns({ limit: 1 }))[0]?.status).toBe('running');
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30 * SECOND);
    expect(await scheduler.completeRun(runId, { status: 'succeeded', summary: 'posted digest' })).toBe(true);
    expect(await scheduler.completeRun(runId, { status: 'succeeded' })).toBe(false);
    expect(await scheduler.completeRun('nope', { status: 'failed', error: 'x' })).toBe(false);
    const log = (await scheduler.listRuns({ taskId: task.id, limit: 10 })).find((l) => l.id === runId);
    expect(log).toMatchObject({
      status: 'succeeded',
      durationMs: 90 * SECOND,
      resultSummary: 'posted digest',
    });
    await vi.advanceTimersByTimeAsync(30 * SECOND);
    expect(runs.map((r) => r.calledAt - T0)).toEqual([MINUTE, 3 * MINUTE]);
  });

  it('manual: a handler may still finish a run itself by returning an outcome', async () => {
    const { scheduler } = harness({
      completion: 'manual',
      onRun: () => ({ status: 'succeeded', summary: 'inline' }),
    });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:05Z' },
    });
    await vi.advanceTimersByTimeAsync(5 * SECOND);
    expect((await scheduler.listRuns({ limit: 1 }))[0]).toMatchObject({
      status: 'succeeded',
      resultSummary: 'inline',
    });
    expect(scheduler.activeRuns()).toEqual([]);
  });

  it('clips long summaries and errors', async () => {
    const { scheduler } = harness({
      onRun: () => ({ status: 'failed', error: 'e'.repeat(10_000), summary: 's'.repeat(9000) }),
    });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:01Z' },
    });
    await vi.advanceTimersByTimeAsync(SECOND);
    const [log] = await scheduler.listRuns({ limit: 1 });
    expect(log?.error?.length).toBe(4000);
    expect(log?.resultSummary?.length).toBe(4000);
  });
});

describe('once-tasks', () => {
  it('complete after their run: status completed, next run null, log succeeded', async () => {
    const { scheduler, runs, events } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'remind me',
      schedule: { kind: 'once', at: '2025-01-06T08:30:00Z' },
    });
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(runs).toHaveLength(1);
    expect(await scheduler.getTask(task.id)).toMatchObject({
      status: 'completed',
      nextRun: null,
      lastRun: Date.parse('2025-01-06T08:30:00Z'),
    });
    expect((await scheduler.listRuns({ taskId: task.id, limit: 5 }))[0]).toMatchObject({
      status: 'succeeded',
      late: false,
      durationMs: 0,
    });
    expect(events.map((e) => e.type)).toEqual(['task-create', 'run-start', 'task-complete', 'run-end']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a past once-time runs at once in lenient mode and is refused in strict mode', async () => {
    const lenient = harness();
    await lenient.scheduler.start();
    await lenient.scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T07:59:50Z' },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(lenient.runs).toHaveLength(1);
    expect(lenient.runs[0]?.late).toBe(false);

    const strict = harness({ strict: true });
    await strict.scheduler.start();
    const error = await strict.scheduler
      .createTask({ groupId: 'g', prompt: 'p', schedule: { kind: 'once', at: '2025-01-06T07:59:50Z' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleValidationError);
    expect((error as ScheduleValidationError).field).toBe('schedule.at');
    expect(await strict.store.list()).toEqual([]);
  });
});

describe('task ids', () => {
  const ids = ['a7432b03-0000-4000-8000-000000000001', 'a743ffff-0000-4000-8000-000000000002', 'b1000000'];

  async function threeTasks() {
    const h = harness();
    await h.scheduler.start();
    for (const id of ids) {
      await h.scheduler.createTask({
        id,
        groupId: 'g',
        prompt: `report ${id.slice(0, 4)}`,
        schedule: { kind: 'interval', everyMs: HOUR },
      });
    }
    return h;
  }

  it('pause, resume and cancel take a unique prefix of an id, as git does', async () => {
    const { scheduler } = await threeTasks();
    expect(await scheduler.pauseTask('a7432b')).toMatchObject({ id: ids[0], status: 'paused' });
    expect(await scheduler.resumeTask('a7432b03')).toMatchObject({ id: ids[0], status: 'active' });
    expect(await scheduler.cancelTask('b100')).toMatchObject({ id: 'b1000000', status: 'cancelled' });
    expect(await scheduler.pauseTask(ids[1] ?? '')).toMatchObject({ id: ids[1], status: 'paused' });
  });

  it('an ambiguous prefix is refused, naming the candidates; a short or unknown one is not found', async () => {
    const { scheduler, store } = await threeTasks();
    const error = await scheduler.cancelTask('a743').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScheduleValidationError);
    expect(errorMessage(error)).toBe(
      `id: "a743" is ambiguous, it starts 2 task ids: ${ids[0]} (active: "report a743"), ${ids[1]} (active: "report a743"); give more of the id`,
    );
    await expect(scheduler.cancelTask('a74')).rejects.toThrow(
      'no scheduled task with id "a74" (a short id needs at least 4 characters)',
    );
    await expect(scheduler.cancelTask('c000')).rejects.toBeInstanceOf(TaskNotFoundError);
    expect((await store.list({ status: 'cancelled' })).length).toBe(0);
  });
});

describe('task management', () => {
  it('pause stops firing; resume continues from the next time after now, keeping the interval phase', async () => {
    const { scheduler, runs, events } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    await vi.advanceTimersByTimeAsync(MINUTE);
    const paused = await scheduler.pauseTask(task.id);
    expect(paused.status).toBe('paused');
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5 * MINUTE + 10 * SECOND);
    expect(runs).toHaveLength(1);
    const resumed = await scheduler.resumeTask(task.id);
    expect(resumed.status).toBe('active');
    expect(resumed.nextRun).toBe(T0 + 7 * MINUTE);
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(runs.map((r) => r.calledAt - T0)).toEqual([MINUTE, 7 * MINUTE]);
    expect(events.map((e) => e.type)).toContain('task-pause');
    expect(events.map((e) => e.type)).toContain('task-resume');
    expect((await scheduler.listRuns({ limit: 10 })).some((l) => l.status === 'skipped')).toBe(false);
  });

  it('cancel is final: no more runs, next run null, updates refused', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    const cancelled = await scheduler.cancelTask(task.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', nextRun: null });
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(runs).toHaveLength(0);
    await expect(scheduler.updateTask(task.id, { prompt: 'again' })).rejects.toBeInstanceOf(
      ScheduleValidationError,
    );
    await expect(scheduler.resumeTask(task.id)).rejects.toThrow(/cancelled/);
    await expect(scheduler.pauseTask('missing')).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(scheduler.cancelTask(task.id)).rejects.toThrow(
      `status: task "${task.id}" is already cancelled`,
    );
  });

  it('cancelling a completed task leaves it completed and says so', async () => {
    const { scheduler, store, events } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:05Z' },
    });
    await vi.advanceTimersByTimeAsync(5 * SECOND);
    expect((await store.get(task.id))?.status).toBe('completed');
    await expect(scheduler.cancelTask(task.id)).rejects.toThrow(
      `status: task "${task.id}" already completed (its last run started 2025-01-06T08:00:05.000Z); there is nothing left to cancel`,
    );
    expect((await store.get(task.id))?.status).toBe('completed');
    expect(events.map((e) => e.type)).not.toContain('task-cancel');
  });

  it('update re-validates (nothing stored on error) and recomputes the next run', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: HOUR },
    });
    await expect(
      scheduler.updateTask(task.id, { schedule: { kind: 'cron', expression: 'every day' } }),
    ).rejects.toMatchObject({ name: 'ScheduleValidationError', field: 'schedule.expression' });
    await expect(scheduler.updateTask(task.id, { timezone: 'Nowhere/Land' })).rejects.toMatchObject({
      field: 'timezone',
    });
    expect(await scheduler.getTask(task.id)).toEqual(task);

    const updated = await scheduler.updateTask(task.id, {
      prompt: 'new prompt',
      timezone: 'Europe/Paris',
      schedule: { kind: 'cron', expression: '15 9 * * *' },
    });
    expect(updated).toMatchObject({ prompt: 'new prompt', timezone: 'Europe/Paris', misfirePolicy: 'skip' });
    expect(iso(updated.nextRun)).toBe('2025-01-06T08:15:00.000Z');
    expect(scheduler.nextWakeAt()).toBe(updated.nextRun);
    await vi.advanceTimersByTimeAsync(15 * MINUTE);
    expect(runs.map((r) => [iso(r.calledAt), r.prompt])).toEqual([
      ['2025-01-06T08:15:00.000Z', 'new prompt'],
    ]);
  });

  it('giving a completed once-task a new schedule re-activates it', async () => {
    const { scheduler, runs } = harness();
    await scheduler.start();
    const task = await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:01:00Z' },
    });
    await vi.advanceTimersByTimeAsync(MINUTE);
    const again = await scheduler.updateTask(task.id, {
      schedule: { kind: 'once', at: '2025-01-06T08:05:00Z' },
    });
    expect(again).toMatchObject({ status: 'active', nextRun: Date.parse('2025-01-06T08:05:00Z') });
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    expect(runs).toHaveLength(2);
  });

  it('refuses bad input with a typed error naming the field, storing nothing', async () => {
    const { scheduler, store } = harness();
    await scheduler.start();
    const cases: [unknown, string][] = [
      [
        { groupId: 'g', prompt: 'p', schedule: { kind: 'cron', expression: '99 * * * *' } },
        'schedule.expression',
      ],
      [
        {
          groupId: 'g',
          prompt: 'p',
          timezone: 'Europe/Londn',
          schedule: { kind: 'interval', everyMs: MINUTE },
        },
        'timezone',
      ],
      [{ groupId: 'g', prompt: 'p', schedule: { kind: 'interval', everyMs: -1 } }, 'schedule.everyMs'],
      [{ groupId: 'g', prompt: 'p', schedule: { kind: 'interval', everyMs: 0 } }, 'schedule.everyMs'],
      [
        { groupId: 'g', prompt: 'p', schedule: { kind: 'interval', everyMs: 11 * 365 * DAY } },
        'schedule.everyMs',
      ],
      [
        { groupId: 'g', prompt: 'p', schedule: { kind: 'once', at: '+20000-01-01T00:00:00Z' } },
        'schedule.at',
      ],
      [
        { groupId: 'g', prompt: 'p'.repeat(100_001), schedule: { kind: 'interval', everyMs: MINUTE } },
        'prompt',
      ],
    ];
    for (const [input, field] of cases) {
      const error = await scheduler.createTask(input as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScheduleValidationError);
      expect((error as ScheduleValidationError).field).toBe(field);
    }
    expect(await store.list()).toEqual([]);
    await scheduler.createTask({
      id: 'dup',
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'interval', everyMs: MINUTE },
    });
    await expect(
      scheduler.createTask({
        id: 'dup',
        groupId: 'g',
        prompt: 'p',
        schedule: { kind: 'interval', everyMs: MINUTE },
      }),
    ).rejects.toMatchObject({ field: 'id' });
  });

  it('refuses an unknown default time zone at construction', () => {
    expect(() => harness({ timezone: 'Atlantis/Capital' })).toThrow(ScheduleValidationError);
  });
});

describe('store failures', () => {
  it("refuses a task store with specificationVersion 'v0', naming its version and the supported one", () => {
    const store = { ...createMemoryTaskStore(), specificationVersion: 'v0' } as unknown as TaskStore;
    expect(() => createScheduler({ store, onRun: () => {} })).toThrow(
      'the task store implements task store specification version "v0", but this version of @nanoclaw/scheduler supports "v1" only',
    );
  });

  it('retries a due task whose claim failed, firing it once', async () => {
    const { store, scheduler, runs, events } = harness({ retryDelayMs: 2 * SECOND });
    const claim = store.claimRun.bind(store);
    let failures = 1;
    store.claimRun = async (...args) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('database is locked');
      }
      return claim(...args);
    };
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:10Z' },
    });
    await vi.advanceTimersByTimeAsync(10 * SECOND);
    expect(runs).toHaveLength(0);
    expect(events.some((e) => e.type === 'store-error')).toBe(true);
    await vi.advanceTimersByTimeAsync(2 * SECOND);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(runs).toHaveLength(1);
  });
});

describe('store failures at the end of a run', () => {
  it('a run whose end cannot be stored is logged, never an unhandled rejection', async () => {
    const { logger, messages } = recordingLogger(['error']);
    const { store, scheduler } = harness({ logger });
    store.finishRun = async () => {
      throw new Error('disk full');
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await scheduler.start();
      await scheduler.createTask({
        groupId: 'g',
        prompt: 'p',
        schedule: { kind: 'once', at: '2025-01-06T08:00:01Z' },
      });
      await vi.advanceTimersByTimeAsync(SECOND);
      expect(messages()).toContain('scheduler could not record the end of a run');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('logging', () => {
  it('logs through the given logger (and is silent by default)', async () => {
    const { logger, messages } = recordingLogger();
    const { scheduler } = harness({ logger });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:01Z' },
    });
    await vi.advanceTimersByTimeAsync(SECOND);
    expect(messages()).toEqual(['scheduler started', 'scheduled run handed out', 'scheduled run finished']);
  });
});

describe('outcome edge cases', () => {
  it('a failed outcome without an error message is still failed', async () => {
    const { scheduler } = harness({ onRun: () => ({ status: 'failed' }) as never });
    await scheduler.start();
    await scheduler.createTask({
      groupId: 'g',
      prompt: 'p',
      schedule: { kind: 'once', at: '2025-01-06T08:00:01Z' },
    });
    await vi.advanceTimersByTimeAsync(SECOND);
    expect((await scheduler.listRuns({ limit: 1 }))[0]).toMatchObject({
      status: 'failed',
      error: 'the run failed',
    });
  });

  it('completeRun refuses something that is not an outcome', async () => {
    const { scheduler } = harness();
    await expect(scheduler.completeRun('x', { status: 'done' } as never)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('previewTask', () => {
  it('validates like createTask and works out the first run, but stores nothing and arms no timer', async () => {
    const { scheduler } = harness();
    await scheduler.start();
    const preview = scheduler.previewTask({
      groupId: 'g1',
      prompt: 'morning brief',
      schedule: { kind: 'cron', expression: '0 9 * * *' },
    });
    expect(preview).toMatchObject({ id: '', status: 'active', timezone: 'UTC', lastRun: null });
    expect(iso(preview.nextRun)).toBe('2025-01-06T09:00:00.000Z');
    expect(await scheduler.listTasks()).toEqual([]);
    expect(scheduler.nextWakeAt()).toBeNull();
    expect(() =>
      scheduler.previewTask({
        groupId: 'g1',
        prompt: 'p',
        schedule: { kind: 'cron', expression: '61 * * * *' },
      }),
    ).toThrow(ScheduleValidationError);
    await scheduler.stop();
  });
});
