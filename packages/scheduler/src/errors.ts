/** One problem with a task definition: which field, and what is wrong with it. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `schedule.expression`, `timezone`, `prompt`. */
  field: string;
  reason: string;
}

/**
 * A task definition was refused. Nothing was stored. `field` names the first offending field; `issues` lists
 * all of them.
 */
export class ScheduleValidationError extends Error {
  override readonly name = 'ScheduleValidationError';
  readonly field: string;
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly [ValidationIssue, ...ValidationIssue[]], options?: { cause?: unknown }) {
    super(issues.map((issue) => `${issue.field}: ${issue.reason}`).join('; '), options);
    this.field = issues[0].field;
    this.issues = issues;
  }
}

/** Shorthand for a single-issue validation error. */
export function invalid(field: string, reason: string, cause?: unknown): ScheduleValidationError {
  return new ScheduleValidationError([{ field, reason }], cause === undefined ? undefined : { cause });
}

/** No task with this id in the store. */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
  constructor(readonly taskId: string) {
    super(`no scheduled task with id "${taskId}"`);
  }
}
