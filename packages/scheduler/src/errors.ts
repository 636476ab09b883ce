import { NanoclawError, type NanoclawErrorOptions, TASK_STORE_SPEC_VERSION } from '@nanoclaw/core';

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
export class ScheduleValidationError extends NanoclawError<'invalid-task'> {
  readonly field: string;
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly [ValidationIssue, ...ValidationIssue[]], options?: NanoclawErrorOptions) {
    super('invalid-task', issues.map((issue) => `${issue.field}: ${issue.reason}`).join('; '), options);
    this.name = 'ScheduleValidationError';
    this.field = issues[0].field;
    this.issues = issues;
  }
}

/** Shorthand for a single-issue validation error. */
export function invalid(field: string, reason: string, cause?: unknown): ScheduleValidationError {
  return new ScheduleValidationError([{ field, reason }], cause === undefined ? undefined : { cause });
}

/** No task with this id (or, for a prefix of at least `MIN_ID_PREFIX` characters, none whose id starts so). */
export class TaskNotFoundError extends NanoclawError<'task-not-found'> {
  constructor(
    readonly taskId: string,
    hint = '',
  ) {
    super('task-not-found', `no scheduled task with id "${taskId}"${hint}`);
    this.name = 'TaskNotFoundError';
  }
}

/** An id prefix starts the ids of several tasks (as git does, the candidates are named). */
export class AmbiguousTaskIdError extends ScheduleValidationError {
  constructor(
    readonly prefix: string,
    readonly candidates: readonly { id: string; status: string; prompt: string }[],
  ) {
    const listed = candidates.map(
      (task) => `${task.id} (${task.status}: ${JSON.stringify(shorten(task.prompt))})`,
    );
    super([
      {
        field: 'id',
        reason: `"${prefix}" is ambiguous, it starts ${candidates.length} task ids: ${listed.join(', ')}; give more of the id`,
      },
    ]);
  }
}

function shorten(text: string, max = 40): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The task store implements another version of the task store specification than this scheduler supports. */
export class UnsupportedTaskStoreError extends NanoclawError<'unsupported-store-version'> {
  constructor(readonly version: unknown) {
    super(
      'unsupported-store-version',
      `the task store implements task store specification version ${JSON.stringify(version)}, but this version of ` +
        `@nanoclaw/scheduler supports "${TASK_STORE_SPEC_VERSION}" only`,
    );
    this.name = 'UnsupportedTaskStoreError';
  }
}
