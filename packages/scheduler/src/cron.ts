import type { CronExpression } from 'cron-parser';
import { CronExpressionParser } from 'cron-parser';
import { invalid } from './errors.js';

const CRON_ALIASES = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
  '@minutely',
  '@secondly',
  '@weekdays',
  '@weekends',
]);

/**
 * Opens a cron iterator after `after` (exclusive) in `timeZone`. 5 fields are minute-first; 6 fields are
 * seconds-first; the usual `@daily`-style aliases are accepted. Throws `ScheduleValidationError` on anything
 * else.
 */
export function openCron(expression: string, timeZone: string, after: number): CronExpression {
  const trimmed = expression.trim();
  checkFieldCount(trimmed);
  try {
    return CronExpressionParser.parse(trimmed, { currentDate: after, tz: timeZone });
  } catch (error) {
    throw invalid(
      'schedule.expression',
      `"${expression}" is not a valid cron expression: ${message(error)}`,
      error,
    );
  }
}

function checkFieldCount(expression: string): void {
  if (expression.startsWith('@')) {
    if (CRON_ALIASES.has(expression.toLowerCase())) return;
    throw invalid(
      'schedule.expression',
      `"${expression}" is not a known cron alias (${[...CRON_ALIASES].join(', ')})`,
    );
  }
  const count = expression.split(/\s+/).length;
  if (count !== 5 && count !== 6) {
    throw invalid(
      'schedule.expression',
      `"${expression}" has ${count} fields; use 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
    );
  }
}

/** The first time strictly after `after` that the expression matches, or null if it never does again. */
export function nextCronTime(expression: string, timeZone: string, after: number): number | null {
  return stepCron(openCron(expression, timeZone, after));
}

/** Advances an open iterator; null when it has no further match. */
export function stepCron(iterator: CronExpression): number | null {
  try {
    return iterator.next().getTime();
  } catch {
    return null;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
