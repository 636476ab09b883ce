import { randomUUID } from 'node:crypto';
import {
  type Logger,
  type NewTask,
  type ScheduledTask,
  silentLogger,
  TASK_STORE_SPEC_VERSION,
  type TaskPatch,
  type TaskRunLog,
  type TaskStore,
  timezoneSchema,
} from '@nanoclaw/core';
import { type DuePlan, planDue } from './due-plan.js';
import { createDueQueue } from './due-queue.js';
import { AmbiguousTaskIdError, invalid, TaskNotFoundError, UnsupportedTaskStoreError } from './errors.js';
import { describeSkip, failedOutcome, isRunOutcome, runResult } from './run-outcome.js';
import { createSerialQueue } from './serial-queue.js';
import { cancelPatch, patched, pausePatch, resumePatch, updatePatch } from './task-commands.js';
import type {
  CreateTaskOptions,
  RunOutcome,
  Scheduler,
  SchedulerEvent,
  SchedulerOptions,
  StartReport,
  TaskChanges,
  TaskRun,
} from './types.js';
import { type ValidTask, validateTask } from './validate-task.js';
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
  return new TaskScheduler(options, resolveConfig(options));
}

/** The scheduler's state and steps; `createScheduler` is its only constructor. */
class TaskScheduler implements Scheduler {
  readonly #options: SchedulerOptions;
  readonly #config: ResolvedConfig;
  readonly #store: TaskStore;
  readonly #logger: Logger;
  readonly #tasks = new Map<string, ScheduledTask>();
  readonly #dueQueue = createDueQueue();
  readonly #activeRuns = new Map<string, ActiveRun>();
  readonly #busyTasks = new Map<string, string>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  readonly #serial = createSerialQueue();
  readonly #timer: ReturnType<typeof createWakeTimer>;
  #started = false;
  #stopped = false;

  constructor(options: SchedulerOptions, config: ResolvedConfig) {
    this.#options = options;
    this.#config = config;
    this.#store = config.store;
    this.#logger = config.logger;
    // #drainDue never rejects: each due task's failure is caught, logged and retried in #processDue.
    this.#timer = createWakeTimer(() => void this.#drainDue(), { maxDelayMs: config.maxTimerDelayMs });
  }

  #emit(event: SchedulerEvent): void {
    if (!this.#options.onEvent) return;
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#logger.warn({ err: error, event: event.type }, 'scheduler onEvent listener threw');
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pendingWrites.add(promise);
    const forget = () => this.#pendingWrites.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #rearm(): void {
    if (!this.#started || this.#stopped) {
      this.#timer.clear();
      return;
    }
    this.#timer.arm(this.#dueQueue.peek()?.at ?? null);
  }

  /** Keeps the in-memory index in step with a task's stored state. */
  #index(task: ScheduledTask): void {
    if (task.status === 'active' && task.nextRun !== null) {
      this.#tasks.set(task.id, task);
      this.#dueQueue.set(task.id, task.nextRun);
    } else {
      this.#tasks.delete(task.id);
      this.#dueQueue.delete(task.id);
    }
    this.#rearm();
  }

  #drainDue(): Promise<void> {
    if (!this.#started || this.#stopped) return Promise.resolve();
    const now = Date.now();
    const due: string[] = [];
    for (let top = this.#dueQueue.peek(); top !== undefined && top.at <= now; top = this.#dueQueue.peek()) {
      this.#dueQueue.pop();
      due.push(top.id);
    }
    this.#rearm();
    if (due.length === 0) return Promise.resolve();
    return this.#serial(async () => {
      for (const id of due) await this.#processDue(id);
    });
  }

  async #processDue(id: string): Promise<void> {
    const task = this.#tasks.get(id);
    if (!task || this.#stopped) return;
    const now = Date.now();
    if (task.nextRun === null || task.nextRun > now) {
      this.#index(task);
      return;
    }
    try {
      const plan = planDue(task, now, { graceMs: this.#config.graceMs, busy: this.#busyTasks.has(id) });
      await this.#applyPlan(task, plan, now);
    } catch (error) {
      const retryAt = now + this.#config.retryDelayMs;
      this.#logger.error(
        { err: error, taskId: id, retryAt },
        'scheduler could not record a due task; will retry',
      );
      this.#emit({ type: 'store-error', taskId: id, error, retryAt });
      this.#dueQueue.set(id, retryAt);
      this.#rearm();
    }
  }

  async #applyPlan(task: ScheduledTask, plan: DuePlan, now: number): Promise<void> {
    const status = plan.nextRun === null ? 'completed' : 'active';
    const advance: TaskPatch = { nextRun: plan.nextRun, status, updatedAt: now };
    if (plan.fire) {
      const log = this.#runningLog(task.id, plan.fire.scheduledFor, now, plan.fire.late);
      const patch = { ...advance, lastRun: now };
      await this.#store.claimRun(task.id, patch, log);
      const next = patched(task, patch);
      this.#handOut(next, log);
      this.#settle(task, next);
      if (plan.skip) await this.#recordSkipAfterRun(next, plan.skip, now);
      return;
    }
    if (plan.skip) {
      await this.#recordSkip(task, plan.skip, now, advance);
      this.#settle(task, patched(task, advance));
    }
  }

  /** Re-indexes a task after it advanced, announcing it if it just completed. */
  #settle(before: ScheduledTask, after: ScheduledTask): void {
    this.#index(after);
    if (after.status === 'completed' && before.status !== 'completed') {
      this.#emit({ type: 'task-complete', taskId: after.id });
    }
  }

  async #recordSkip(
    task: ScheduledTask,
    skip: NonNullable<DuePlan['skip']>,
    now: number,
    patch: TaskPatch,
  ): Promise<void> {
    const log: TaskRunLog = {
      id: this.#config.generateId(),
      taskId: task.id,
      scheduledFor: skip.first,
      startedAt: now,
      finishedAt: now,
      status: 'skipped',
      late: skip.reason === 'missed',
      durationMs: 0,
      resultSummary: describeSkip(skip, this.#activeRunOf(task.id)),
      error: null,
    };
    await this.#store.claimRun(task.id, patch, log);
    this.#logger.info(
      { taskId: task.id, reason: skip.reason, count: skip.count },
      log.resultSummary ?? 'skipped',
    );
    this.#emit({
      type: 'task-skip',
      taskId: task.id,
      reason: skip.reason,
      count: skip.count,
      firstScheduledFor: skip.first,
      lastScheduledFor: skip.last,
    });
  }

  /** The skip log next to a run is informational: the run is already claimed, so a failure here is only logged. */
  async #recordSkipAfterRun(task: ScheduledTask, skip: NonNullable<DuePlan['skip']>, now: number) {
    try {
      await this.#recordSkip(task, skip, now, { updatedAt: now });
    } catch (error) {
      this.#logger.warn({ err: error, taskId: task.id }, 'scheduler could not log skipped due times');
    }
  }

  #activeRunOf(taskId: string): string | undefined {
    return this.#busyTasks.get(taskId);
  }

  #runningLog(taskId: string, scheduledFor: number, now: number, late: boolean): TaskRunLog {
    return {
      id: this.#config.generateId(),
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

  #handOut(task: ScheduledTask, log: TaskRunLog): void {
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
    this.#activeRuns.set(run.runId, { taskId: task.id, startedAt: log.startedAt });
    this.#busyTasks.set(task.id, run.runId);
    this.#logger.debug({ taskId: task.id, runId: run.runId, late: run.late }, 'scheduled run handed out');
    this.#emit({ type: 'run-start', run });
    let returned: ReturnType<SchedulerOptions['onRun']>;
    try {
      returned = this.#options.onRun(run);
    } catch (error) {
      // #finish never rejects: a failed store write is logged there.
      void this.#finish(run.runId, failedOutcome(error));
      return;
    }
    Promise.resolve(returned).then(
      (value) => this.#onHandlerSettled(run.runId, value),
      (error: unknown) => void this.#finish(run.runId, failedOutcome(error)),
    );
  }

  #onHandlerSettled(runId: string, value: unknown): void {
    if (isRunOutcome(value)) void this.#finish(runId, value);
    else if (this.#config.completion === 'auto') void this.#finish(runId, { status: 'succeeded' });
  }

  /** `completeRun` for internal callers: never rejects (failures are logged), so callers may `void` it. */
  async #finish(runId: string, outcome: RunOutcome): Promise<void> {
    try {
      await this.completeRun(runId, outcome);
    } catch (error) {
      this.#logger.error({ err: error, runId }, 'scheduler could not record the end of a run');
    }
  }

  async completeRun(runId: string, outcome: RunOutcome): Promise<boolean> {
    if (!isRunOutcome(outcome)) {
      throw new TypeError('outcome must be { status: "succeeded" } or { status: "failed", error }');
    }
    const active = this.#activeRuns.get(runId);
    if (!active) return false;
    this.#activeRuns.delete(runId);
    if (this.#busyTasks.get(active.taskId) === runId) this.#busyTasks.delete(active.taskId);
    const result = runResult(outcome, active.startedAt, Date.now());
    await this.#track(this.#store.finishRun(runId, result));
    this.#logger.debug({ taskId: active.taskId, runId, status: result.status }, 'scheduled run finished');
    this.#emit({
      type: 'run-end',
      runId,
      taskId: active.taskId,
      status: outcome.status,
      durationMs: result.durationMs ?? 0,
      error: result.error,
    });
    return true;
  }

  async #recover(): Promise<StartReport> {
    const now = Date.now();
    const leftovers = await this.#store.listRunning();
    const latestByTask = new Map<string, TaskRunLog>();
    for (const run of leftovers) {
      await this.#store.finishRun(run.id, {
        status: 'interrupted',
        finishedAt: now,
        durationMs: Math.max(0, now - run.startedAt),
        resultSummary: null,
        error: INTERRUPTED_ERROR,
      });
      this.#logger.warn({ taskId: run.taskId, runId: run.id }, 'scheduled run was interrupted by a restart');
      this.#emit({
        type: 'run-interrupt',
        runId: run.id,
        taskId: run.taskId,
        scheduledFor: run.scheduledFor,
      });
      const seen = latestByTask.get(run.taskId);
      if (!seen || run.scheduledFor > seen.scheduledFor) latestByTask.set(run.taskId, run);
    }
    const active = await this.#store.list({ status: 'active' });
    for (const task of active) this.#index(task);
    let rerun = 0;
    for (const run of latestByTask.values()) {
      if (await this.#rerunInterrupted(run, now)) rerun += 1;
    }
    return { tasks: active.length, interrupted: leftovers.length, rerun };
  }

  /**
   * An interrupted run of a `run-once` task runs once more, late. If the task is overdue anyway, the due pass
   * runs it once instead (never both).
   */
  async #rerunInterrupted(interrupted: TaskRunLog, now: number): Promise<boolean> {
    const task = this.#tasks.get(interrupted.taskId) ?? (await this.#store.get(interrupted.taskId));
    if (task?.misfirePolicy !== 'run-once') return false;
    if (task.status !== 'active' && task.status !== 'completed') return false;
    if (task.status === 'active' && task.nextRun !== null && task.nextRun <= now) return false;
    const log = this.#runningLog(task.id, interrupted.scheduledFor, now, true);
    const patch: TaskPatch = { lastRun: now, updatedAt: now };
    await this.#store.claimRun(task.id, patch, log);
    const next = patched(task, patch);
    if (next.status === 'active') this.#index(next);
    this.#handOut(next, log);
    return true;
  }

  /** The task with this id, else the one task whose id starts with it (at least `MIN_ID_PREFIX` characters). */
  async #loadTask(id: string): Promise<ScheduledTask> {
    const task = await this.#store.get(id);
    if (task) return task;
    if (id.length < MIN_ID_PREFIX) {
      throw new TaskNotFoundError(id, ` (a short id needs at least ${MIN_ID_PREFIX} characters)`);
    }
    const matches = await this.#store.list({ idPrefix: id });
    const [only] = matches;
    if (only && matches.length === 1) return only;
    if (matches.length > 1) throw new AmbiguousTaskIdError(id, matches);
    throw new TaskNotFoundError(id);
  }

  /** Runs a command on a stored task (by id or unique id prefix) in turn with everything else, and re-indexes it. */
  #command(
    id: string,
    event: 'task-update' | 'task-pause' | 'task-resume' | 'task-cancel',
    makePatch: (task: ScheduledTask, now: number) => TaskPatch | null,
  ): Promise<ScheduledTask> {
    return this.#serial(async () => {
      const task = await this.#loadTask(id);
      const patch = makePatch(task, Date.now());
      if (patch === null) return task;
      await this.#store.update(task.id, patch);
      const next = patched(task, patch);
      if (this.#started) this.#index(next);
      this.#emit({ type: event, task: structuredClone(next) });
      return structuredClone(next);
    });
  }

  #limits(strict: boolean) {
    return { minIntervalMs: this.#config.minIntervalMs, strict };
  }

  async start(): Promise<StartReport> {
    if (this.#started) throw new Error('the scheduler is already started');
    this.#started = true;
    const report = await this.#serial(() => this.#recover());
    this.#rearm();
    await this.#drainDue();
    this.#logger.info({ ...report }, 'scheduler started');
    return report;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer.clear();
    await this.#serial(async () => undefined);
    await Promise.allSettled([...this.#pendingWrites]);
  }

  async createTask(input: NewTask, createOptions?: CreateTaskOptions): Promise<ScheduledTask> {
    const now = Date.now();
    const valid = this.#validate(input, now, createOptions);
    return this.#serial(async () => {
      const id = valid.id ?? this.#config.generateId();
      if (await this.#store.get(id)) throw invalid('id', `a task with id "${id}" already exists`);
      const task = newTask(valid, id, now);
      await this.#store.insert(task);
      if (this.#started) this.#index(task);
      this.#emit({ type: 'task-create', task: structuredClone(task) });
      return structuredClone(task);
    });
  }

  previewTask(input: NewTask, createOptions?: CreateTaskOptions): ScheduledTask {
    const now = Date.now();
    return newTask(this.#validate(input, now, createOptions), input.id ?? '', now);
  }

  #validate(input: NewTask, now: number, createOptions: CreateTaskOptions | undefined): ValidTask {
    return validateTask(input, {
      defaultTimezone: this.#config.timezone,
      now,
      limits: this.#limits(createOptions?.strict ?? this.#config.strict),
    });
  }

  updateTask(id: string, changes: TaskChanges): Promise<ScheduledTask> {
    return this.#command(id, 'task-update', (task, now) =>
      updatePatch(task, changes, {
        defaultTimezone: this.#config.timezone,
        now,
        limits: this.#limits(this.#config.strict),
      }),
    );
  }

  pauseTask(id: string): Promise<ScheduledTask> {
    return this.#command(id, 'task-pause', pausePatch);
  }

  resumeTask(id: string): Promise<ScheduledTask> {
    return this.#command(id, 'task-resume', resumePatch);
  }

  cancelTask(id: string): Promise<ScheduledTask> {
    return this.#command(id, 'task-cancel', cancelPatch);
  }

  getTask(id: string): Promise<ScheduledTask | undefined> {
    return this.#store.get(id);
  }

  listTasks(filter?: Parameters<Scheduler['listTasks']>[0]): ReturnType<Scheduler['listTasks']> {
    return this.#store.list(filter);
  }

  listRuns(filter: Parameters<Scheduler['listRuns']>[0]): ReturnType<Scheduler['listRuns']> {
    return this.#store.listRuns(filter);
  }

  activeRuns(): string[] {
    return [...this.#activeRuns.keys()];
  }

  nextWakeAt(): number | null {
    return this.#timer.armedFor;
  }
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
    logger: options.logger ?? silentLogger,
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

/** A task as `createTask` stores it: active, first run as validated. */
function newTask(valid: ValidTask, id: string, now: number): ScheduledTask {
  return {
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
}
