import {
  type MisfirePolicy,
  type NewTask,
  newTaskSchema,
  type Schedule,
  type ScheduledTask,
  timezoneSchema,
} from '@nanoclaw/core';
import { invalid, ScheduleValidationError, type ValidationIssue } from './errors.js';
import { firstRunTime } from './schedule.js';
import { formatWallTime } from './zoned-time.js';

/** Ten years: the longest interval accepted. */
export const MAX_INTERVAL_MS = 10 * 365 * 24 * 60 * 60 * 1000;

export interface ValidationLimits {
  /** Shortest interval accepted. */
  minIntervalMs: number;
  /** Refuse once-times that are already past. */
  strict: boolean;
}

/** A checked, complete task definition plus its first run time. */
export interface ValidTask {
  id: string | undefined;
  groupId: string;
  prompt: string;
  schedule: Schedule;
  timezone: string;
  misfirePolicy: MisfirePolicy;
  contextMode: ScheduledTask['contextMode'];
  createdByGroupId: string | null;
  firstRun: number | null;
}

/**
 * Checks a task definition against the core zod schema and the scheduler's own rules (cron syntax, real time
 * zone, interval bounds, once-time format and range) and works out when it first runs. Throws
 * `ScheduleValidationError` naming the field.
 */
export function validateTask(
  input: NewTask,
  context: { defaultTimezone: string; now: number; limits: ValidationLimits },
): ValidTask {
  const parsed = newTaskSchema.safeParse(input);
  if (!parsed.success) throw fromSchemaIssues(parsed.error.issues);
  const task = parsed.data;
  const timezone = task.timezone ?? context.defaultTimezone;
  const firstRun = validateSchedule(task.schedule, timezone, context.now, context.limits);
  return {
    id: task.id,
    groupId: task.groupId,
    prompt: task.prompt,
    schedule: task.schedule,
    timezone,
    misfirePolicy: task.misfirePolicy ?? defaultMisfirePolicy(task.schedule),
    contextMode: task.contextMode,
    createdByGroupId: task.createdByGroupId,
    firstRun,
  };
}

/** Checks one schedule and returns its first run time after `now`. */
export function validateSchedule(
  schedule: Schedule,
  timezone: string,
  now: number,
  limits: ValidationLimits,
): number | null {
  if (!timezoneSchema.safeParse(timezone).success) {
    throw invalid('timezone', `"${timezone}" is not a known IANA time zone (for example "Europe/London")`);
  }
  if (schedule.kind === 'interval') checkInterval(schedule.everyMs, limits.minIntervalMs);
  const firstRun = firstRunTime(schedule, timezone, now);
  if (schedule.kind === 'cron' && firstRun === null) {
    throw invalid('schedule.expression', `"${schedule.expression}" never matches a future time`);
  }
  if (schedule.kind === 'once' && limits.strict && firstRun !== null && firstRun <= now) {
    throw invalid(
      'schedule.at',
      `"${schedule.at}" (${formatWallTime(firstRun, timezone)} ${timezone}) is in the past: it is now ${formatWallTime(now, timezone)} ${timezone} (${new Date(now).toISOString()})`,
    );
  }
  return firstRun;
}

function checkInterval(everyMs: number, minIntervalMs: number): void {
  if (!Number.isSafeInteger(everyMs) || everyMs <= 0) {
    throw invalid('schedule.everyMs', `must be a positive whole number of milliseconds, got ${everyMs}`);
  }
  if (everyMs < minIntervalMs) {
    throw invalid('schedule.everyMs', `must be at least ${minIntervalMs} ms, got ${everyMs}`);
  }
  if (everyMs > MAX_INTERVAL_MS) {
    throw invalid('schedule.everyMs', `must be at most ten years (${MAX_INTERVAL_MS} ms), got ${everyMs}`);
  }
}

/** `run-once` for once-tasks (a missed one still runs, late); `skip` for cron and interval. */
export function defaultMisfirePolicy(schedule: Schedule): MisfirePolicy {
  return schedule.kind === 'once' ? 'run-once' : 'skip';
}

interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
  /** Set on zod's `unrecognized_keys` issues. */
  keys?: readonly string[];
}

function fromSchemaIssues(issues: readonly SchemaIssue[]): ScheduleValidationError {
  const mapped: ValidationIssue[] = issues.map((issue) => {
    const path = [...issue.path.map(String), ...(issue.keys?.slice(0, 1) ?? [])];
    return { field: path.join('.') || '(task)', reason: issue.message };
  });
  const [first, ...rest] = mapped;
  return new ScheduleValidationError(first ? [first, ...rest] : [{ field: '(task)', reason: 'is invalid' }]);
}
