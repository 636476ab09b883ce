import type { HostApi, HostEvent } from '../host-api.js';
import type { DashboardAuth } from './dashboard-auth.js';
import { dashboardLinkRoute } from './dashboard-routes.js';
import { HttpError } from './http-error.js';
import { readJsonBody } from './json-body.js';
import { createPeopleRoutes } from './people-routes.js';
import {
  addGroupBodySchema,
  addTaskBodySchema,
  addTaskQuerySchema,
  groupChatSchema,
  messageListQuerySchema,
  parseRequest,
  postMessageBodySchema,
  runListQuerySchema,
  taskListQuerySchema,
  usageQuerySchema,
} from './request-schemas.js';
import {
  folderParam,
  ok,
  queryObject,
  type RequestContext,
  type RouteHandler,
  type RouteResult,
} from './route-context.js';
import type { Route } from './router.js';
import { type OpenSseOptions, openSse, type SseStream } from './sse.js';

export type { RequestContext, RouteHandler, RouteResult };

export interface ApiRoutesOptions {
  api: HostApi;
  bodyLimitBytes: number;
  sse: Pick<OpenSseOptions, 'heartbeatMs' | 'maxBufferedBytes'>;
  /** Every open event stream, so the server can end them when it closes. */
  streams: Set<SseStream>;
  dashboardAuth: DashboardAuth;
}

/** The `/readyz` and `/api/v1` routes (all behind the bearer token or a dashboard session). */
export function createApiRoutes(options: ApiRoutesOptions): Array<Route<RouteHandler>> {
  const { api } = options;
  const body = (context: RequestContext) => readJsonBody(context.req, options.bodyLimitBytes);
  return [
    {
      method: 'GET',
      pattern: '/readyz',
      handler: async () => {
        const readiness = await api.readiness();
        return ok(readiness, readiness.ready ? 200 : 503);
      },
    },
    { method: 'GET', pattern: '/api/v1/status', handler: async () => ok(await api.status()) },
    { method: 'GET', pattern: '/api/v1/groups', handler: async () => ok({ groups: await api.listGroups() }) },
    {
      method: 'POST',
      pattern: '/api/v1/groups',
      handler: async (context) =>
        ok(await api.addGroup(parseRequest(addGroupBodySchema, await body(context), 'body')), 201),
    },
    {
      method: 'POST',
      pattern: '/api/v1/groups/:folder/chats',
      handler: async (context) =>
        ok(
          await api.bindChat(
            folderParam(context),
            parseRequest(groupChatSchema, await body(context), 'body'),
          ),
        ),
    },
    {
      method: 'DELETE',
      pattern: '/api/v1/groups/:folder',
      handler: async (context) => ok(await api.removeGroup(folderParam(context))),
    },
    {
      method: 'POST',
      pattern: '/api/v1/groups/:folder/messages',
      handler: async (context) => {
        const folder = folderParam(context);
        const input = parseRequest(postMessageBodySchema, await body(context), 'body');
        const posted = await api.postMessage(folder, input);
        return ok(posted, 202);
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/groups/:folder/events',
      handler: async (context) => {
        const folder = folderParam(context);
        const groups = await api.listGroups();
        if (!groups.some((group) => group.folder === folder)) {
          throw new HttpError(404, 'not-found', `no group "${folder}"`);
        }
        return streamEvents(context, folder, options);
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/events',
      handler: async (context) => streamEvents(context, '*', options),
    },
    ...taskRoutes(api, body),
    ...createPeopleRoutes(api, body),
    ...dashboardDataRoutes(api, body),
    dashboardLinkRoute(options.dashboardAuth),
  ];
}

/** Usage, group settings, sandboxes and message history (what the dashboard shows beyond groups and tasks). */
function dashboardDataRoutes(
  api: HostApi,
  body: (context: RequestContext) => Promise<unknown>,
): Array<Route<RouteHandler>> {
  return [
    {
      method: 'GET',
      pattern: '/api/v1/usage',
      handler: async (context) =>
        ok({ usage: await api.listUsage(parseRequest(usageQuerySchema, queryObject(context), 'query')) }),
    },
    {
      method: 'GET',
      pattern: '/api/v1/groups/:folder/config',
      handler: async (context) => ok(await api.getGroupConfig(folderParam(context))),
    },
    {
      method: 'PUT',
      pattern: '/api/v1/groups/:folder/config',
      handler: async (context) => {
        const folder = folderParam(context);
        return ok(await api.setGroupConfig(folder, await body(context)));
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/groups/:folder/messages',
      handler: async (context) => {
        const folder = folderParam(context);
        const query = parseRequest(messageListQuerySchema, queryObject(context), 'query');
        return ok({ messages: await api.listMessages(folder, query) });
      },
    },
    {
      method: 'GET',
      pattern: '/api/v1/sandboxes',
      handler: async () => ok({ sandboxes: await api.listSandboxes() }),
    },
    {
      method: 'POST',
      pattern: '/api/v1/sandboxes/:id/kill',
      handler: async (context) => ok(await api.killSandbox(context.params.id ?? '')),
    },
  ];
}

/** Tasks (add, list, pause, resume, cancel, a dry run) and their runs. */
function taskRoutes(
  api: HostApi,
  body: (context: RequestContext) => Promise<unknown>,
): Array<Route<RouteHandler>> {
  return [
    {
      method: 'GET',
      pattern: '/api/v1/tasks',
      handler: async (context) =>
        ok({ tasks: await api.listTasks(parseRequest(taskListQuerySchema, queryObject(context), 'query')) }),
    },
    {
      method: 'POST',
      pattern: '/api/v1/tasks',
      handler: async (context) => {
        const { dryRun } = parseRequest(addTaskQuerySchema, queryObject(context), 'query');
        const input = parseRequest(addTaskBodySchema, await body(context), 'body');
        return dryRun ? ok(await api.previewTask(input)) : ok(await api.addTask(input), 201);
      },
    },
    taskAction('pause', (id) => api.pauseTask(id)),
    taskAction('resume', (id) => api.resumeTask(id)),
    taskAction('cancel', (id) => api.cancelTask(id)),
    {
      method: 'GET',
      pattern: '/api/v1/runs',
      handler: async (context) =>
        ok({ runs: await api.listRuns(parseRequest(runListQuerySchema, queryObject(context), 'query')) }),
    },
  ];
}

function taskAction(action: string, run: (id: string) => Promise<unknown>): Route<RouteHandler> {
  return {
    method: 'POST',
    pattern: `/api/v1/tasks/:id/${action}`,
    handler: async (context) => ({ status: 200, body: await run(context.params.id ?? '') }),
  };
}

function streamEvents(context: RequestContext, folder: string, options: ApiRoutesOptions): RouteResult {
  let stream: SseStream | undefined;
  // Subscribe before the headers go out: a client that saw them is sure to get every later event.
  const unsubscribe = options.api.subscribe(folder, (event: HostEvent) => stream?.send(event.type, event));
  stream = openSse(context.req, context.res, {
    ...options.sse,
    onClose: () => {
      unsubscribe();
      if (stream) options.streams.delete(stream);
    },
  });
  if (!stream.closed) options.streams.add(stream);
  return 'streaming';
}
