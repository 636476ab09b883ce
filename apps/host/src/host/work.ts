import { NanoclawError } from '@nanoclaw/core';
import type { TaskRun } from '@nanoclaw/scheduler';
import type { Turn } from '../routing/index.js';

/** One item of the group queue: a chat turn (interactive) or a scheduled task run (batch). */
export type WorkPayload = { kind: 'turn'; turn: Turn } | { kind: 'task'; run: TaskRunRef };

/** What of a scheduler run the worker needs; stored in the queue, so it survives a restart. */
export interface TaskRunRef {
  runId: string;
  taskId: string;
  groupId: string;
  prompt: string;
  contextMode: TaskRun['contextMode'];
  scheduledFor: number;
  late: boolean;
}

export function taskRunRef(run: TaskRun): TaskRunRef {
  return {
    runId: run.runId,
    taskId: run.taskId,
    groupId: run.groupId,
    prompt: run.prompt,
    contextMode: run.contextMode,
    scheduledFor: run.scheduledFor,
    late: run.late,
  };
}

/**
 * A failure the queue should retry with backoff: the sandbox died, went silent or could not start. Failures of
 * the agent itself (a model error, a timed-out turn) are answered to the user at once instead.
 */
export class RetryableRunError extends NanoclawError<'run-retryable'> {
  override readonly name = 'RetryableRunError';
  constructor(message: string, options?: ErrorOptions) {
    super('run-retryable', message, {
      retryable: true,
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
  }
}

/** A failure no retry can fix (a setup problem): the queue dead-letters it at once and the user is told why. */
export class PermanentRunError extends NanoclawError<'run-permanent'> {
  override readonly name = 'PermanentRunError';
  constructor(message: string) {
    super('run-permanent', message, { retryable: false });
  }
}
