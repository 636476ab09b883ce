import type { ScheduledTask } from '@nanoclaw/core';
import { dueTimesUntil } from './schedule.js';

/** Why due times were not run. */
export type SkipReason = 'missed' | 'overlap';

/** What to do with a task whose `nextRun` has been reached. */
export interface DuePlan {
  /** The run to hand out now, if any. */
  fire: { scheduledFor: number; late: boolean } | null;
  /** Due times recorded as skipped (one log for all of them), if any. */
  skip: { reason: SkipReason; count: number; capped: boolean; first: number; last: number } | null;
  /** The task's next due time after this; null once the schedule is exhausted. */
  nextRun: number | null;
}

/**
 * Decides what happens when a task falls due at `now`.
 *
 * - On time (the latest due time is within `graceMs` of `now`): run it. Earlier due times in the same stretch
 *   (the process was busy or asleep) are skipped.
 * - Missed (all due times are older than `graceMs`, e.g. after downtime): the task's misfire policy decides.
 *   `run-once` runs once now, marked late, for the latest due time; `skip` runs nothing. Either way the other
 *   due times are recorded as one skip and the schedule moves to its first time after `now`.
 * - Busy (the task's previous run is still going): nothing runs; every due time is skipped as `overlap`.
 */
export function planDue(
  task: ScheduledTask,
  now: number,
  options: { graceMs: number; busy: boolean },
): DuePlan {
  if (task.nextRun === null) return { fire: null, skip: null, nextRun: null };
  const due = dueTimesUntil(task.schedule, task.timezone, task.nextRun, now);
  const span = { count: due.count, capped: due.capped, first: due.first, last: due.last };
  if (options.busy) return { fire: null, skip: { reason: 'overlap', ...span }, nextRun: due.next };
  const onTime = now - due.last <= options.graceMs;
  if (!onTime && task.misfirePolicy === 'skip') {
    return { fire: null, skip: { reason: 'missed', ...span }, nextRun: due.next };
  }
  const earlier =
    due.beforeLast === null
      ? null
      : { count: due.count - 1, capped: due.capped, first: due.first, last: due.beforeLast };
  return {
    fire: { scheduledFor: due.last, late: !onTime },
    skip: earlier === null ? null : { reason: 'missed', ...earlier },
    nextRun: due.next,
  };
}
