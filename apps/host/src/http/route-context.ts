import type http from 'node:http';
import { groupFolderSchema } from '@nanoclaw/core';
import type { RequestIdentity } from './dashboard-routes.js';
import { HttpError } from './http-error.js';

export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API token's holder or a dashboard session. */
  identity: RequestIdentity;
}

/** A JSON reply, or `streaming` when the handler took over the response (SSE). */
export type RouteResult = { status: number; body?: unknown } | 'streaming';
export type RouteHandler = (context: RequestContext) => Promise<RouteResult>;

export function ok(value: unknown, status = 200): RouteResult {
  return { status, body: value };
}

/** The `:folder` path parameter, checked as a group folder (400 naming `folder`). */
export function folderParam(context: RequestContext): string {
  const value = context.params.folder ?? '';
  const result = groupFolderSchema.safeParse(value);
  if (result.success) return result.data;
  const reason = result.error.issues[0]?.message ?? 'is not a group folder';
  throw new HttpError(400, 'invalid', `invalid group folder "${value}": ${reason}`, 'folder');
}

export function queryObject(context: RequestContext): Record<string, string> {
  return Object.fromEntries(context.query.entries());
}
