import type { TaskRunLog } from '@nanoclaw/core';
import type { DuePlan } from './due-plan.js';
import type { RunOutcome } from './types.js';

/** Longest result summary or error kept in a run log. */
export const MAX_LOG_TEXT = 4_000;

/** Any object with `status: 'succeeded' | 'failed'` (a failed one without `error` still counts as failed). */
export function isRunOutcome(value: unknown): value is RunOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const status = (value as { status?: unknown }).status;
  return status === 'succeeded' || status === 'failed';
}

export function failedOutcome(error: unknown): RunOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'failed', error: message || 'the run handler failed' };
}

/** The finished fields of a run log. */
export function runResult(
  outcome: RunOutcome,
  startedAt: number,
  finishedAt: number,
): Pick<TaskRunLog, 'status' | 'finishedAt' | 'durationMs' | 'resultSummary' | 'error'> {
  return {
    status: outcome.status,
    finishedAt,
    durationMs: Math.max(0, finishedAt - startedAt),
    resultSummary: clip(outcome.summary),
    error: outcome.status === 'failed' ? (clip(outcome.error) ?? 'the run failed') : null,
  };
}

/** One line for a `skipped` run log. */
export function describeSkip(skip: NonNullable<DuePlan['skip']>, busyRunId: string | undefined): string {
  const count = `${skip.capped ? 'at least ' : ''}${skip.count} due time${skip.count === 1 ? '' : 's'}`;
  const span =
    skip.count === 1
      ? new Date(skip.first).toISOString()
      : `${new Date(skip.first).toISOString()} to ${new Date(skip.last).toISOString()}`;
  if (skip.reason === 'overlap') {
    const previous = busyRunId === undefined ? 'the previous run' : `the previous run ${busyRunId}`;
    return `skipped ${count} (${span}): ${previous} was still running`;
  }
  return `skipped ${count} (${span}): missed while the scheduler was down or blocked`;
}

function clip(text: unknown): string | null {
  if (text === undefined || text === null) return null;
  if (typeof text !== 'string') return clip(String(text));
  return text.length > MAX_LOG_TEXT ? `${text.slice(0, MAX_LOG_TEXT - 1)}…` : text;
}
