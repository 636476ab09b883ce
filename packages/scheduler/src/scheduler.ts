import { randomUUID } from 'node:crypto';
import {
  type Logger,
  type ScheduledTask,
  TASK_STORE_SPEC_VERSION,
  type TaskPatch,
  type TaskRunLog,
  type TaskStore,
  timezoneSchema,
} from '@nanoclaw/core';
import { type DuePlan, planDue } from './due-plan.js';
import { createDueQueue } from './due-queue.js';
import { AmbiguousTaskIdError, invalid, TaskNotFoundError, UnsupportedTaskStoreError } from './errors.js';
import { noopLogger } from './noop-logger.js';
import { describeSkip, failedOutcome, isRunOutcome, runResult } from './run-outcome.js';
import { createSerialQueue } from './serial-queue.js';
import { cancelPatch, patched, pausePatch, resumePatch, updatePatch } from './task-commands.js';
import type {
  RunOutcome,
  Scheduler,
  SchedulerEvent,
  SchedulerOptions,
  StartReport,
  TaskChanges,
  TaskRun,
} from './types.js';
import { validateTask } from './validate-task.js';
import { createWakeTimer } from './wake-timer.js';

const DEFAULT_GRACE_MS = 60_000;
const DEFAULT_MIN_INTERVAL_MS = 1_000;
const DEFAULT_RETRY_DELAY_MS = 5_000;
const INTERRUPTED_ERROR = 'interrupted: the scheduler stopped before the run finished';
/** The shortest id prefix that names a task (as git's short ids). */
export const MIN_ID_PREFIX = 4;

interface ActiveRun {
  taskId: string;
  startedAt: number;
}

/**
 * Creates a scheduler over a `TaskStore`. One timer, armed for the earliest due task; every due run is claimed
 * in the store (task advanced + run logged `running`, one transaction) before it is handed to `onRun`, so a
 * restart never fires the same due time twice. Call `start()` to begin.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const config = resolveConfig(options);
  const { store, logger } = config;
  const tasks = new Map<string, ScheduledTask>();
  const dueQueue = createDueQueue();
  const activeRuns = new Map<string, ActiveRun>();
  const busyTasks = new Map<string, string>();
  const pendingWrites = new Set<Promise<unknown>>();
  const serial = createSerialQueue();
  const timer = createWakeTimer(() => void drainDue(), { maxDelayMs: config.maxTimerDelayMs });
  let started = false;
  let stopped = false;

  function emit(event: SchedulerEvent): void {
    if (!options.onEvent) return;
    try {
      options.onEvent(event);
    } catch (error) {
      logger.warn({ err: error, event: event.type }, 'scheduler onEvent listener threw');
    }
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    pendingWrites.add(promise);
    const forget = () => pendingWrites.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  function rearm(): void {
    if (!started || stopped) {
      timer.clear();
      return;
    }
    timer.arm(dueQueue.peek()?.at ?? null);
  }

  /** Keeps the in-memory index in step with a task's stored state. */
  function index(task: ScheduledTask): void {
    if (task.status === 'active' && task.nextRun !== null) {
      tasks.set(task.id, task);
      dueQueue.set(task.id, task.nextRun);
    } else {
      tasks.delete(task.id);
      dueQueue.delete(task.id);
    }
    rearm();
  }

  function drainDue(): Promise<void> {
    if (!started || stopped) return Promise.resolve();
    const now = Date.now();
    const due: string[] = [];
    for (let top = dueQueue.peek(); top !== undefined && top.at <= now; top = dueQueue.peek()) {
      dueQueue.pop();
      due.push(top.id);
    }
    rearm();
    if (due.length === 0) return Promise.resolve();
    return serial(async () => {
      for (const id of due) await processDue(id);
    });
  }

  async function processDue(id: string): Promise<void> {
    const task = tasks.get(id);
    if (!task || stopped) return;
    const now = Date.now();
    if (task.nextRun === null || task.nextRun > now) {
      index(task);
      return;
    }
    try {
      const plan = planDue(task, now, { graceMs: config.graceMs, busy: busyTasks.has(id) });
      await applyPlan(task, plan, now);
    } catch (error) {
      const retryAt = now + config.retryDelayMs;
      logger.error({ err: error, taskId: id, retryAt }, 'scheduler could not record a due task; will retry');
      emit({ type: 'store-error', taskId: id, error, retryAt });
      dueQueue.set(id, retryAt);
      rearm();
    }
  }

  async function applyPlan(task: ScheduledTask, plan: DuePlan, now: number): Promise<void> {
    const status = plan.nextRun === null ? 'completed' : 'active';
    const advance: TaskPatch = { nextRun: plan.nextRun, status, updatedAt: now };
    if (plan.fire) {
      const log = runningLog(task.id, plan.fire.scheduledFor, now, plan.fire.late);
      const patch = { ...advance, lastRun: now };
      await store.claimRun(task.id, patch, log);
      const next = patched(task, patch);
      handOut(next, log);
      settle(task, next);
      if (plan.skip) await recordSkipAfterRun(next, plan.skip, now);
      return;
    }
    if (plan.skip) {
      await recordSkip(task, plan.skip, now, advance);
      settle(task, patched(task, advance));
    }
  }

  /** Re-indexes a task after it advanced, announcing it if it just completed. */
  function settle(before: ScheduledTask, after: ScheduledTask): void {
    index(after);
    if (after.status === 'completed' && before.status !== 'completed') {
      emit({ type: 'task-complete', taskId: after.id });
    }
  }

  async function recordSkip(
    task: ScheduledTask,
    skip: NonNullable<DuePlan['skip']>,
    now: number,
    patch: TaskPatch,
  ): Promise<void> {
    const log: TaskRunLog = {
      id: config.generateId(),
      taskId: task.id,
      scheduledFor: skip.first,
      startedAt: now,
      finishedAt: now,
      status: 'skipped',
      late: skip.reason === 'missed',
      durationMs: 0,
      resultSummary: describeSkip(skip, activeRunOf(task.id)),
      error: null,
    };
    await store.claimRun(task.id, patch, log);
    logger.info({ taskId: task.id, reason: skip.reason, count: skip.count }, log.resultSummary ?? 'skipped');
    emit({
      type: 'task-skip',
      taskId: task.id,
      reason: skip.reason,
      count: skip.count,
      firstScheduledFor: skip.first,
      lastScheduledFor: skip.last,
    });
  }

  /** The skip log next to a run is informational: the run is already claimed, so a failure here is only logged. */
  async function recordSkipAfterRun(task: ScheduledTask, skip: NonNullable<DuePlan['skip']>, now: number) {
    try {
      await recordSkip(task, skip, now, { updatedAt: now });
    } catch (error) {
      logger.warn({ err: error, taskId: task.id }, 'scheduler could not log skipped due times');
    }
  }

  function activeRunOf(taskId: string): string | undefined {
    return busyTasks.get(taskId);
  }

  function runningLog(taskId: string, scheduledFor: number, now: number, late: boolean): TaskRunLog {
    return {
      id: config.generateId(),
      taskId,
      scheduledFor,
      startedAt: now,
      finishedAt: null,
      status: 'running',
      late,
      durationMs: null,
      resultSummary: null,
      error: null,
    };
  }

  function handOut(task: ScheduledTask, log: TaskRunLog): void {
    const run: TaskRun = {
      runId: log.id,
      taskId: task.id,
      groupId: task.groupId,
      prompt: task.prompt,
      contextMode: task.contextMode,
      scheduledFor: log.scheduledFor,
      startedAt: log.startedAt,
      late: log.late,
      task: structuredClone(task),
    };
    activeRuns.set(run.runId, { taskId: task.id, startedAt: log.startedAt });
    busyTasks.set(task.id, run.runId);
    logger.debug({ taskId: task.id, runId: run.runId, late: run.late }, 'scheduled run handed out');
    emit({ type: 'run-start', run });
    let returned: ReturnType<SchedulerOptions['onRun']>;
    try {
      returned = options.onRun(run);
    } catch (error) {
      void finish(run.runId, failedOutcome(error));
      return;
    }
    Promise.resolve(returned).then(
      (value) => onHandlerSettled(run.runId, value),
      (error: unknown) => void finish(run.runId, failedOutcome(error)),
    );
  }

  function onHandlerSettled(runId: string, value: unknown): void {
    if (isRunOutcome(value)) void finish(runId, value);
    else if (config.completion === 'auto') void finish(runId, { status: 'succeeded' });
  }

  /** `completeRun` for internal callers: never rejects (failures are logged). */
  async function finish(runId: string, outcome: RunOutcome): Promise<void> {
    try {
      await completeRun(runId, outcome);
    } catch (error) {
      logger.error({ err: error, runId }, 'scheduler could not record the end of a run');
    }
  }

  async function completeRun(runId: string, outcome: RunOutcome): Promise<boolean> {
    if (!isRunOutcome(outcome)) {
      throw new TypeError('outcome must be { status: "succeeded" } or { status: "failed", error }');
    }
    const active = activeRuns.get(runId);
    if (!active) return false;
    activeRuns.delete(runId);
    if (busyTasks.get(active.taskId) === runId) busyTasks.delete(active.taskId);
    const result = runResult(outcome, active.startedAt, Date.now());
    await track(store.finishRun(runId, result));
    logger.debug({ taskId: active.taskId, runId, status: result.status }, 'scheduled run finished');
    emit({
      type: 'run-end',
      runId,
      taskId: active.taskId,
      status: outcome.status,
      durationMs: result.durationMs ?? 0,
      error: result.error,
    });
    return true;
  }

  async function recover(): Promise<StartReport> {
    const now = Date.now();
    const leftovers = await store.listRunning();
    const latestByTask = new Map<string, TaskRunLog>();
    for (const run of leftovers) {
      await store.finishRun(run.id, {
        status: 'interrupted',
        finishedAt: now,
        durationMs: Math.max(0, now - run.startedAt),
        resultSummary: null,
        error: INTERRUPTED_ERROR,
      });
      logger.warn({ taskId: run.taskId, runId: run.id }, 'scheduled run was interrupted by a restart');
      emit({ type: 'run-interrupt', runId: run.id, taskId: run.taskId, scheduledFor: run.scheduledFor });
      const seen = latestByTask.get(run.taskId);
      if (!seen || run.scheduledFor > seen.scheduledFor) latestByTask.set(run.taskId, run);
    }
    const active = await store.list({ status: 'active' });
    for (const task of active) index(task);
    let rerun = 0;
    for (const run of latestByTask.values()) {
      if (await rerunInterrupted(run, now)) rerun += 1;
    }
    return { tasks: active.length, interrupted: leftovers.length, rerun };
  }

  /**
   * An interrupted run of a `run-once` task runs once more, late. If the task is overdue anyway, the due pass
   * runs it once instead (never both).
   */
  async function rerunInterrupted(interrupted: TaskRunLog, now: number): Promise<boolean> {
    const task = tasks.get(interrupted.taskId) ?? (await store.get(interrupted.taskId));
    if (task?.misfirePolicy !== 'run-once') return false;
    if (task.status !== 'active' && task.status !== 'completed') return false;
    if (task.status === 'active' && task.nextRun !== null && task.nextRun <= now) return false;
    const log = runningLog(task.id, interrupted.scheduledFor, now, true);
    const patch: TaskPatch = { lastRun: now, updatedAt: now };
    await store.claimRun(task.id, patch, log);
    const next = patched(task, patch);
    if (next.status === 'active') index(next);
    handOut(next, log);
    return true;
  }

  /** The task with this id, else the one task whose id starts with it (at least `MIN_ID_PREFIX` characters). */
  async function loadTask(id: string): Promise<ScheduledTask> {
    const task = await store.get(id);
    if (task) return task;
    if (id.length < MIN_ID_PREFIX) {
      throw new TaskNotFoundError(id, ` (a short id needs at least ${MIN_ID_PREFIX} characters)`);
    }
    const matches = await store.list({ idPrefix: id });
    const [only] = matches;
    if (only && matches.length === 1) return only;
    if (matches.length > 1) throw new AmbiguousTaskIdError(id, matches);
    throw new TaskNotFoundError(id);
  }

  /** Runs a command on a stored task (by id or unique id prefix) in turn with everything else, and re-indexes it. */
  function command(
    id: string,
    event: 'task-update' | 'task-pause' | 'task-resume' | 'task-cancel',
    makePatch: (task: ScheduledTask, now: number) => TaskPatch | null,
  ): Promise<ScheduledTask> {
    return serial(async () => {
      const task = await loadTask(id);
      const patch = makePatch(task, Date.now());
      if (patch === null) return task;
      await store.update(task.id, patch);
      const next = patched(task, patch);
      if (started) index(next);
      emit({ type: event, task: structuredClone(next) });
      return structuredClone(next);
    });
  }

  const limits = (strict: boolean) => ({ minIntervalMs: config.minIntervalMs, strict });

  return {
    async start() {
      if (started) throw new Error('the scheduler is already started');
      started = true;
      const report = await serial(recover);
      rearm();
      await drainDue();
      logger.info({ ...report }, 'scheduler started');
      return report;
    },
    async stop() {
      stopped = true;
      timer.clear();
      await serial(async () => undefined);
      await Promise.allSettled([...pendingWrites]);
    },
    async createTask(input, createOptions) {
      const now = Date.now();
      const valid = validateTask(input, {
        defaultTimezone: config.timezone,
        now,
        limits: limits(createOptions?.strict ?? config.strict),
      });
      return serial(async () => {
        const id = valid.id ?? config.generateId();
        if (await store.get(id)) throw invalid('id', `a task with id "${id}" already exists`);
        const task: ScheduledTask = {
          id,
          groupId: valid.groupId,
          prompt: valid.prompt,
          schedule: valid.schedule,
          timezone: valid.timezone,
          misfirePolicy: valid.misfirePolicy,
          contextMode: valid.contextMode,
          status: 'active',
          nextRun: valid.firstRun,
          lastRun: null,
          createdByGroupId: valid.createdByGroupId,
          createdAt: now,
          updatedAt: now,
        };
        await store.insert(task);
        if (started) index(task);
        emit({ type: 'task-create', task: structuredClone(task) });
        return structuredClone(task);
      });
    },
    updateTask(id, changes: TaskChanges) {
      return command(id, 'task-update', (task, now) =>
        updatePatch(task, changes, { defaultTimezone: config.timezone, now, limits: limits(config.strict) }),
      );
    },
    pauseTask: (id) => command(id, 'task-pause', pausePatch),
    resumeTask: (id) => command(id, 'task-resume', resumePatch),
    cancelTask: (id) => command(id, 'task-cancel', cancelPatch),
    getTask: (id) => store.get(id),
    listTasks: (filter) => store.list(filter),
    listRuns: (filter) => store.listRuns(filter),
    completeRun,
    activeRuns: () => [...activeRuns.keys()],
    nextWakeAt: () => timer.armedFor,
  };
}

interface ResolvedConfig {
  store: TaskStore;
  logger: Logger;
  completion: 'auto' | 'manual';
  timezone: string;
  strict: boolean;
  graceMs: number;
  minIntervalMs: number;
  retryDelayMs: number;
  maxTimerDelayMs: number | undefined;
  generateId: () => string;
}

function resolveConfig(options: SchedulerOptions): ResolvedConfig {
  const timezone = options.timezone ?? defaultTimezone();
  if (!timezoneSchema.safeParse(timezone).success) {
    throw invalid('timezone', `"${timezone}" is not a known IANA time zone (for example "Europe/London")`);
  }
  const version: unknown = options.store.specificationVersion;
  if (version !== TASK_STORE_SPEC_VERSION) throw new UnsupportedTaskStoreError(version);
  const config: ResolvedConfig = {
    store: options.store,
    logger: options.logger ?? noopLogger,
    completion: options.completion ?? 'auto',
    timezone,
    strict: options.strict ?? false,
    graceMs: options.misfireGraceMs ?? DEFAULT_GRACE_MS,
    minIntervalMs: options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    maxTimerDelayMs: options.maxTimerDelayMs,
    generateId: options.generateId ?? randomUUID,
  };
  const numeric = {
    misfireGraceMs: config.graceMs,
    minIntervalMs: config.minIntervalMs,
    retryDelayMs: config.retryDelayMs,
  };
  for (const [name, value] of Object.entries(numeric)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`scheduler option ${name} must be a non-negative number, got ${value}`);
    }
  }
  config.minIntervalMs = Math.max(1, config.minIntervalMs);
  return config;
}

function defaultTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
