import {
  contextModeSchema,
  errorMessage,
  groupFolderSchema,
  INBOUND_MAX_TEXT_LENGTH,
  providerIdSchema,
  scheduleSchema,
  timezoneSchema,
} from '@nanoclaw/core';
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../approvals/index.js';
import { GROUP_ACCESS_MODES } from '../groups/index.js';
import { parseUserId, ROLES } from '../people/index.js';
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

/** `POST /api/v1/groups/:folder/chats`, and the `chat` of `POST /api/v1/groups`. */
export const groupChatSchema = z.strictObject({
  channel: text(64),
  chatId: text(256),
  accountId: text(128).optional(),
  name: text(256).optional(),
});

export const addGroupBodySchema = z.strictObject({
  folder: groupFolderSchema,
  name: text(128).optional(),
  trigger: text(64).optional(),
  provider: providerIdSchema.optional(),
  chat: groupChatSchema.optional(),
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

/** A whole number from 1 to `max` (a query parameter: a string of digits). */
function countParam(max: number) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(max, { error: `must be at most ${max}` });
}

/** `GET /api/v1/runs?task=&limit=` (`taskId=` as well), read as the filter `HostApi.listRuns` takes. */
export const runListQuerySchema = z
  .strictObject({
    task: text(128).optional(),
    taskId: text(128).optional(),
    limit: countParam(1000).optional(),
  })
  .transform(({ task, taskId, limit }) => {
    const id = task ?? taskId;
    return { ...(id ? { taskId: id } : {}), ...(limit ? { limit } : {}) };
  });

/** `GET /api/v1/usage?days=&folder=`, read as the query `HostApi.listUsage` takes. */
export const usageQuerySchema = z
  .strictObject({
    days: countParam(366).optional(),
    folder: groupFolderSchema.optional(),
  })
  .transform(({ days, folder }) => ({ ...(days ? { days } : {}), ...(folder ? { folder } : {}) }));

/** `GET /api/v1/groups/:folder/messages?limit=` */
export const messageListQuerySchema = z
  .strictObject({ limit: countParam(500).optional() })
  .transform(({ limit }) => (limit ? { limit } : {}));

/** `POST /api/v1/tasks?dryRun=1`: validate and show, store nothing. */
export const addTaskQuerySchema = z
  .strictObject({
    dryRun: z.enum(['1', 'true', '0', 'false'], { error: 'must be 1, true, 0 or false' }).optional(),
  })
  .transform(({ dryRun }) => ({ dryRun: dryRun === '1' || dryRun === 'true' }));

/** `<platform>:<id>`, with `parseUserId`'s message when it is not one. */
const userIdSchema = text(300).superRefine((value, context) => {
  try {
    parseUserId(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: errorMessage(error) });
  }
});

const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

export const addUserBodySchema = z.strictObject({
  userId: userIdSchema,
  role: roleSchema,
  group: groupFolderSchema.optional(),
  name: text(128).optional(),
});

/** The `:userId` of `DELETE /api/v1/users/:userId`. */
export const userIdParamsSchema = z.strictObject({ userId: userIdSchema });

/** `DELETE /api/v1/users/:userId?role=&group=` */
export const removeUserQuerySchema = z.strictObject({
  role: roleSchema.optional(),
  group: groupFolderSchema.optional(),
});

export const linkUsersBodySchema = z.strictObject({ a: userIdSchema, b: userIdSchema });

export const setGroupBodySchema = z.strictObject({
  access: z.enum(GROUP_ACCESS_MODES, { error: `must be one of ${GROUP_ACCESS_MODES.join(', ')}` }),
});

/** `GET /api/v1/approvals?status=&group=`, read as the filter `HostApi.listApprovals` takes. */
export const approvalListQuerySchema = z
  .strictObject({
    status: z.enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(', ')}` }).optional(),
    group: groupFolderSchema.optional(),
  })
  .transform(({ status, group }) => ({ ...(status ? { status } : {}), ...(group ? { folder: group } : {}) }));

export const answerBodySchema = z.strictObject({
  option: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' }),
});

/** An ISO 8601 time or epoch milliseconds → epoch ms. */
const timeSchema = text(64).transform((value, context) => {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isFinite(ms)) return ms;
  context.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
  return z.NEVER;
});

/** `GET /api/v1/audit?group=&since=&limit=`, read as the query `HostApi.listAudit` takes. */
export const auditQuerySchema = z
  .strictObject({
    group: groupFolderSchema.optional(),
    since: timeSchema.optional(),
    limit: countParam(5000).optional(),
  })
  .transform(({ group, since, limit }) => ({
    ...(group ? { folder: group } : {}),
    ...(since === undefined ? {} : { since }),
    ...(limit ? { limit } : {}),
  }));

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
