import type { ScheduledTask, TaskPatch } from '@nanoclaw/core';
import { invalid } from './errors.js';
import { resumeTime } from './schedule.js';
import type { TaskChanges } from './types.js';
import { type ValidationLimits, validateTask } from './validate-task.js';

const EDITABLE_FIELDS = new Set(['prompt', 'schedule', 'timezone', 'misfirePolicy', 'contextMode']);

/** Pausing an active task keeps its `nextRun` (so resume can keep an interval's phase) and stops it firing. */
export function pausePatch(task: ScheduledTask, now: number): TaskPatch | null {
  if (task.status === 'paused') return null;
  if (task.status !== 'active') {
    throw invalid('status', `task "${task.id}" is ${task.status}; only an active task can be paused`);
  }
  return { status: 'paused', updatedAt: now };
}

/** Resuming continues from the first due time after now; times missed while paused are not run or logged. */
export function resumePatch(task: ScheduledTask, now: number): TaskPatch | null {
  if (task.status === 'active') return null;
  if (task.status !== 'paused') {
    throw invalid('status', `task "${task.id}" is ${task.status}; only a paused task can be resumed`);
  }
  const nextRun = resumeTime(task.schedule, task.timezone, task.nextRun, now);
  return { status: nextRun === null ? 'completed' : 'active', nextRun, updatedAt: now };
}

/**
 * Cancelling is final: the task stays in the store (with its run logs) but never runs again. A task that already
 * completed (or was cancelled) has nothing left to cancel and keeps its status: that is refused, saying so.
 */
export function cancelPatch(task: ScheduledTask, now: number): TaskPatch {
  if (task.status === 'cancelled') throw invalid('status', `task "${task.id}" is already cancelled`);
  if (task.status === 'completed') {
    const last =
      task.lastRun === null ? '' : ` (its last run started ${new Date(task.lastRun).toISOString()})`;
    throw invalid('status', `task "${task.id}" already completed${last}; there is nothing left to cancel`);
  }
  return { status: 'cancelled', nextRun: null, updatedAt: now };
}

/**
 * Applies edits after re-validating the whole task. A new schedule or time zone recomputes `nextRun` from now
 * (and re-activates a completed task); a new schedule kind without an explicit misfire policy takes that
 * kind's default.
 */
export function updatePatch(
  task: ScheduledTask,
  changes: TaskChanges,
  context: { defaultTimezone: string; now: number; limits: ValidationLimits },
): TaskPatch {
  for (const key of Object.keys(changes)) {
    if (!EDITABLE_FIELDS.has(key))
      throw invalid(key, `is not an editable field (${[...EDITABLE_FIELDS].join(', ')})`);
  }
  if (task.status === 'cancelled') {
    throw invalid('status', `task "${task.id}" is cancelled; create a new task instead`);
  }
  const rescheduled = changes.schedule !== undefined || changes.timezone !== undefined;
  const kindChanged = changes.schedule !== undefined && changes.schedule.kind !== task.schedule.kind;
  const valid = validateTask(
    {
      id: task.id,
      groupId: task.groupId,
      prompt: changes.prompt ?? task.prompt,
      schedule: changes.schedule ?? task.schedule,
      timezone: changes.timezone ?? task.timezone,
      misfirePolicy: changes.misfirePolicy ?? (kindChanged ? undefined : task.misfirePolicy),
      contextMode: changes.contextMode ?? task.contextMode,
      createdByGroupId: task.createdByGroupId,
    },
    { ...context, limits: { ...context.limits, strict: rescheduled && context.limits.strict } },
  );
  const patch: TaskPatch = {
    prompt: valid.prompt,
    schedule: valid.schedule,
    timezone: valid.timezone,
    misfirePolicy: valid.misfirePolicy,
    contextMode: valid.contextMode,
    updatedAt: context.now,
  };
  if (rescheduled) {
    patch.nextRun = valid.firstRun;
    if (task.status === 'completed') patch.status = valid.firstRun === null ? 'completed' : 'active';
  }
  return patch;
}

/** The task with a patch applied (a new object). */
export function patched(task: ScheduledTask, patch: TaskPatch): ScheduledTask {
  const next: ScheduledTask = { ...task };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) Object.assign(next, { [key]: value });
  }
  return next;
}
