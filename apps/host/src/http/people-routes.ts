import type { ApprovalChoice, HostApi } from '../host-api.js';
import { HttpError } from './http-error.js';
import {
  addUserBodySchema,
  answerBodySchema,
  approvalListQuerySchema,
  auditQuerySchema,
  linkUsersBodySchema,
  parseRequest,
  removeUserQuerySchema,
  setGroupBodySchema,
  userIdParamsSchema,
} from './request-schemas.js';
import { folderParam, ok, queryObject, type RequestContext, type RouteHandler } from './route-context.js';
import type { Route } from './router.js';

/** The header a bearer client names itself with for the audit log; absent, the actor is `api` (`dashboard` for a signed-in browser). */
export const ACTOR_HEADER = 'x-nanoclaw-actor';
const ACTORS = ['api', 'cli'] as const;

/**
 * Users, group access, approvals and the audit log. What changes something is audited with the actor the
 * request names in `X-Nanoclaw-Actor` (`cli` or `api`; every holder of the token is trusted alike, so it only
 * says which tool was used).
 */
export function createPeopleRoutes(
  api: HostApi,
  body: (context: RequestContext) => Promise<unknown>,
): Array<Route<RouteHandler>> {
  return [
    { method: 'GET', pattern: '/api/v1/users', handler: async () => ok({ users: await api.listUsers() }) },
    {
      method: 'POST',
      pattern: '/api/v1/users',
      handler: async (context) =>
        ok(
          await api.addUser(parseRequest(addUserBodySchema, await body(context), 'body'), actorOf(context)),
          201,
        ),
    },
    {
      method: 'DELETE',
      pattern: '/api/v1/users/:userId',
      handler: async (context) => {
        const { userId } = parseRequest(userIdParamsSchema, context.params, 'path');
        const query = parseRequest(removeUserQuerySchema, queryObject(context), 'query');
        return ok({ userId, ...(await api.removeUser({ userId, ...query }, actorOf(context))) });
      },
    },
    {
      method: 'POST',
      pattern: '/api/v1/users/link',
      handler: async (context) => {
        const { a, b } = parseRequest(linkUsersBodySchema, await body(context), 'body');
        return ok({ users: await api.linkUsers(a, b, actorOf(context)) });
      },
    },
    {
      method: 'PATCH',
      pattern: '/api/v1/groups/:folder',
      handler: async (context) => {
        const folder = folderParam(context);
        const { access } = parseRequest(setGroupBodySchema, await body(context), 'body');
        return ok(await api.setGroupAccess(folder, access, actorOf(context)));
      },
    },
    ...approvalRoutes(api, body),
    {
      method: 'GET',
      pattern: '/api/v1/audit',
      handler: async (context) =>
        ok({ entries: await api.listAudit(parseRequest(auditQuerySchema, queryObject(context), 'query')) }),
    },
  ];
}

function approvalRoutes(
  api: HostApi,
  body: (context: RequestContext) => Promise<unknown>,
): Array<Route<RouteHandler>> {
  const decide = (verb: string, choice: (context: RequestContext) => Promise<ApprovalChoice>) => ({
    method: 'POST' as const,
    pattern: `/api/v1/approvals/:id/${verb}`,
    handler: async (context: RequestContext) =>
      ok(await api.decideApproval(context.params.id ?? '', await choice(context), actorOf(context))),
  });
  return [
    {
      method: 'GET',
      pattern: '/api/v1/approvals',
      handler: async (context) =>
        ok({
          approvals: await api.listApprovals(
            parseRequest(approvalListQuerySchema, queryObject(context), 'query'),
          ),
        }),
    },
    {
      method: 'GET',
      pattern: '/api/v1/approvals/:id',
      handler: async (context) => ok(await api.getApproval(context.params.id ?? '')),
    },
    decide('approve', async () => 'approve'),
    decide('reject', async () => 'reject'),
    decide('answer', async (context) => parseRequest(answerBodySchema, await body(context), 'body').option),
  ];
}

function actorOf(context: RequestContext): string {
  // A signed-in browser is the dashboard, whatever header it sends.
  if (context.identity.kind === 'session') return 'dashboard';
  const value = context.req.headers[ACTOR_HEADER];
  if (value === undefined) return 'api';
  const actor = ACTORS.find((known) => known === value);
  if (actor) return actor;
  throw new HttpError(
    400,
    'invalid',
    `the ${ACTOR_HEADER} header must be ${ACTORS.join(' or ')} (got "${String(value).slice(0, 64)}")`,
    ACTOR_HEADER,
  );
}
