import type { Schedule } from '@nanoclaw/core';
import { nextCronTime, openCron, stepCron } from './cron.js';
import { parseOnceTime } from './once-time.js';

/** More due times than this in one stretch of downtime are counted as "at least this many". */
export const MAX_COUNTED_DUE_TIMES = 1000;

/**
 * When a newly created (or rescheduled) task first runs. Cron: the next match after `now`. Interval: `now +
 * everyMs`. Once: its time (which may be in the past; the caller decides whether that is allowed).
 */
export function firstRunTime(schedule: Schedule, timeZone: string, now: number): number | null {
  switch (schedule.kind) {
    case 'cron':
      return nextCronTime(schedule.expression, timeZone, now);
    case 'interval':
      return now + schedule.everyMs;
    case 'once':
      return parseOnceTime(schedule.at, timeZone).epochMs;
  }
}

/** The due times of a task from its `nextRun` up to `now`, and what comes after them. */
export interface DueTimes {
  /** The earliest due time (the task's `nextRun`). */
  first: number;
  /** The latest due time not after `now`. */
  last: number;
  /** The due time just before `last`; null when `count` is 1. */
  beforeLast: number | null;
  /** How many due times lie in `[first, last]`; capped at `MAX_COUNTED_DUE_TIMES` (see `capped`). */
  count: number;
  capped: boolean;
  /** The first due time after `now`, or null when the schedule is exhausted. */
  next: number | null;
}

/**
 * Every due time from `nextRun` (which must be ≤ `now`) up to `now`. Interval times stay anchored to
 * `nextRun`: `nextRun + k * everyMs`, never re-based on `now`.
 */
export function dueTimesUntil(schedule: Schedule, timeZone: string, nextRun: number, now: number): DueTimes {
  switch (schedule.kind) {
    case 'once':
      return { first: nextRun, last: nextRun, beforeLast: null, count: 1, capped: false, next: null };
    case 'interval':
      return intervalDueTimes(schedule.everyMs, nextRun, now);
    case 'cron':
      return cronDueTimes(schedule.expression, timeZone, nextRun, now);
  }
}

function intervalDueTimes(everyMs: number, nextRun: number, now: number): DueTimes {
  const steps = Math.floor((now - nextRun) / everyMs);
  const last = nextRun + steps * everyMs;
  const count = steps + 1;
  return {
    first: nextRun,
    last,
    beforeLast: steps > 0 ? last - everyMs : null,
    count: Math.min(count, MAX_COUNTED_DUE_TIMES),
    capped: count > MAX_COUNTED_DUE_TIMES,
    next: last + everyMs,
  };
}

function cronDueTimes(expression: string, timeZone: string, nextRun: number, now: number): DueTimes {
  const iterator = openCron(expression, timeZone, nextRun);
  let last = nextRun;
  let beforeLast: number | null = null;
  for (let count = 1; count < MAX_COUNTED_DUE_TIMES; count += 1) {
    const candidate = stepCron(iterator);
    if (candidate === null || candidate > now) {
      return { first: nextRun, last, beforeLast, count, capped: false, next: candidate };
    }
    beforeLast = last;
    last = candidate;
  }
  const [latest, previous] = latestCronTimesUpTo(expression, timeZone, now);
  return {
    first: nextRun,
    last: latest ?? last,
    beforeLast: previous ?? beforeLast,
    count: MAX_COUNTED_DUE_TIMES,
    capped: true,
    next: nextCronTime(expression, timeZone, now),
  };
}

/** The latest two match times not after `now`, latest first. */
function latestCronTimesUpTo(
  expression: string,
  timeZone: string,
  now: number,
): [number | null, number | null] {
  try {
    const iterator = openCron(expression, timeZone, now + 1);
    const latest = iterator.prev().getTime();
    return [latest, iterator.prev().getTime()];
  } catch {
    return [null, null];
  }
}

/**
 * The next `count` run times of a task whose next run is `nextRun` (the first of them), in order; [] when it has
 * none (paused, done). Interval times stay anchored to `nextRun`; a once-task has one.
 */
export function upcomingRunTimes(
  schedule: Schedule,
  timeZone: string,
  nextRun: number | null,
  count = 3,
): number[] {
  if (nextRun === null || count <= 0) return [];
  const times = [nextRun];
  if (schedule.kind === 'once') return times;
  const iterator = schedule.kind === 'cron' ? openCron(schedule.expression, timeZone, nextRun) : undefined;
  while (times.length < count) {
    const previous = times[times.length - 1] ?? nextRun;
    const next = iterator
      ? stepCron(iterator)
      : previous + (schedule.kind === 'interval' ? schedule.everyMs : 0);
    if (next === null) break;
    times.push(next);
  }
  return times;
}

/**
 * Where a task's schedule stands after a pause: the first due time after `now`, keeping an interval's phase
 * (anchored to `nextRun`) and a once-time as it is.
 */
export function resumeTime(schedule: Schedule, timeZone: string, nextRun: number | null, now: number) {
  if (nextRun === null) return firstRunTime(schedule, timeZone, now);
  if (nextRun > now || schedule.kind === 'once') return nextRun;
  return dueTimesUntil(schedule, timeZone, nextRun, now).next;
}
