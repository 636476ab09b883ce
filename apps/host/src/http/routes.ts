import type { HostApi, HostEvent } from '../host-api.js';
import { HttpError } from './http-error.js';
import { readJsonBody } from './json-body.js';
import { createPeopleRoutes } from './people-routes.js';
import {
  addGroupBodySchema,
  addTaskBodySchema,
  groupChatSchema,
  parseRequest,
  postMessageBodySchema,
  runListQuerySchema,
  taskListQuerySchema,
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
}

/** The `/readyz` and `/api/v1` routes (all behind the bearer token). */
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
    {
      method: 'GET',
      pattern: '/api/v1/tasks',
      handler: async (context) =>
        ok({ tasks: await api.listTasks(parseRequest(taskListQuerySchema, queryObject(context), 'query')) }),
    },
    {
      method: 'POST',
      pattern: '/api/v1/tasks',
      handler: async (context) =>
        ok(await api.addTask(parseRequest(addTaskBodySchema, await body(context), 'body')), 201),
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
    ...createPeopleRoutes(api, body),
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
