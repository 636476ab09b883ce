import {
  contextModeSchema,
  groupFolderSchema,
  INBOUND_MAX_TEXT_LENGTH,
  providerIdSchema,
  scheduleSchema,
  timezoneSchema,
} from '@nanoclaw/core';
import { z } from 'zod';
import { HttpError } from './http-error.js';

function text(max: number, min = 1) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(min, { error: min === 1 ? 'must not be empty' : `must be at least ${min} characters` })
    .max(max, {
      error: (issue) =>
        `must be at most ${count(max)} characters (got ${count(typeof issue.input === 'string' ? issue.input.length : 0)})`,
    });
}

/** 100000 → `100,000`. */
function count(value: number): string {
  return value.toLocaleString('en-US');
}

export const postMessageBodySchema = z.strictObject({
  text: text(INBOUND_MAX_TEXT_LENGTH),
  sender: text(256).optional(),
});

export const addGroupBodySchema = z.strictObject({
  folder: groupFolderSchema,
  name: text(128).optional(),
  trigger: text(64).optional(),
  provider: providerIdSchema.optional(),
  chat: z
    .strictObject({
      channel: text(64),
      chatId: text(256),
      accountId: text(128).optional(),
      name: text(256).optional(),
    })
    .optional(),
});

export const addTaskBodySchema = z.strictObject({
  folder: groupFolderSchema,
  prompt: text(100_000),
  schedule: scheduleSchema,
  timezone: timezoneSchema.optional(),
  contextMode: contextModeSchema.optional(),
});

/** `GET /api/v1/tasks?group=&status=`, read as the filter `HostApi.listTasks` takes. */
export const taskListQuerySchema = z
  .strictObject({
    group: groupFolderSchema.optional(),
    status: z
      .enum(['active', 'paused', 'completed', 'cancelled'], {
        error: 'must be active, paused, completed or cancelled',
      })
      .optional(),
  })
  .transform(({ group, status }) => ({ ...(group ? { folder: group } : {}), ...(status ? { status } : {}) }));

/** `GET /api/v1/runs?task=&limit=`, read as the filter `HostApi.listRuns` takes. */
export const runListQuerySchema = z
  .strictObject({
    task: text(128).optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(1000, { error: 'must be at most 1000' })
      .optional(),
  })
  .transform(({ task, limit }) => ({ ...(task ? { taskId: task } : {}), ...(limit ? { limit } : {}) }));

/** Validates a body or query; throws `HttpError` 400 naming the first bad field. */
export function parseRequest<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: 'body' | 'query' | 'path',
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new HttpError(400, 'invalid', `invalid ${where}`);
  const field = fieldOf(issue);
  const message = messageOf(issue, value);
  if (field === '') throw new HttpError(400, 'invalid', `invalid ${where}: ${message}`);
  throw new HttpError(400, 'invalid', `invalid ${where}: ${field}: ${message}`, field);
}

function messageOf(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'unrecognized_keys') return 'is not a known field';
  if (issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(value, issue.path) === undefined) {
    return 'is required';
  }
  return issue.message;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function fieldOf(issue: z.core.$ZodIssue): string {
  const base = issue.path.map(String).join('.');
  if (issue.code !== 'unrecognized_keys') return base;
  const key = issue.keys[0] ?? '';
  return base === '' ? key : `${base}.${key}`;
}
