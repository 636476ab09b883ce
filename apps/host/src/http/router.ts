import { HttpError } from './http-error.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route: `pattern` segments starting with `:` are parameters (`/api/v1/groups/:folder`). */
export interface Route<Handler> {
  method: HttpMethod;
  pattern: string;
  handler: Handler;
}

export type RouteMatch<Handler> =
  | { kind: 'found'; handler: Handler; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

export interface Router<Handler> {
  match(method: string, pathname: string): RouteMatch<Handler>;
}

interface CompiledRoute<Handler> extends Route<Handler> {
  segments: string[];
}

/** A small exact-segment router; throws `HttpError` 400 on a badly encoded parameter. */
export function createRouter<Handler>(routes: ReadonlyArray<Route<Handler>>): Router<Handler> {
  const compiled: Array<CompiledRoute<Handler>> = routes.map((route) => ({
    ...route,
    segments: splitPath(route.pattern),
  }));
  return {
    match(method, pathname) {
      const segments = splitPath(pathname);
      const allowed: HttpMethod[] = [];
      for (const route of compiled) {
        const params = matchSegments(route.segments, segments);
        if (!params) continue;
        if (route.method === method) return { kind: 'found', handler: route.handler, params };
        allowed.push(route.method);
      }
      return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
    },
  };
}

function splitPath(pathname: string): string[] {
  return pathname.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of pattern.entries()) {
    const segment = actual[index] ?? '';
    if (expected.startsWith(':')) params[expected.slice(1)] = decodeSegment(segment);
    else if (expected !== segment) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad-request', `badly encoded path segment "${segment}"`);
  }
}
