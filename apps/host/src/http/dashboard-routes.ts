import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  CSRF_HEADER,
  type DashboardAuth,
  type DashboardSession,
  readCookie,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  secretsEqual,
} from './dashboard-auth.js';
import { DASHBOARD_HEADERS, isDashboardPath, sendPage, serveDashboardFile } from './dashboard-static.js';
import { HttpError } from './http-error.js';
import { ok, type RouteHandler } from './route-context.js';
import type { Route } from './router.js';

/** The dashboard as the HTTP API serves it: its sign-in and the directory of its built files. */
export interface DashboardServing {
  auth: DashboardAuth;
  /** The dashboard's `dist/`; undefined when it is not installed. */
  dir: string | undefined;
}

/** Who a request is: the API token's holder, or a signed-in dashboard session. */
export type RequestIdentity = { kind: 'bearer' } | { kind: 'session'; session: DashboardSession };

export interface DashboardRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  method: string;
  pathname: string;
  query: URLSearchParams;
}

const USED_LINK = 'This link is used or expired: run `nanoclaw dashboard` again in a terminal for a new one.';

/**
 * Answers what is the dashboard's rather than the API's: `/auth/login|session|logout` and the static files.
 * False when the request is for the API.
 */
export async function serveDashboard(
  request: DashboardRequest,
  dashboard: DashboardServing,
): Promise<boolean> {
  const { req, res, method, pathname } = request;
  switch (pathname) {
    case '/auth/login':
      allowOnly(res, method, ['GET']);
      login(request, dashboard.auth);
      return true;
    case '/auth/session': {
      allowOnly(res, method, ['GET']);
      const session = dashboard.auth.session(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (!session) throw notSignedIn();
      sendJson(res, 200, { csrfToken: session.csrfToken });
      return true;
    }
    case '/auth/logout':
      allowOnly(res, method, ['POST']);
      logout(request, dashboard.auth);
      return true;
  }
  if ((method !== 'GET' && method !== 'HEAD') || !isDashboardPath(pathname, dashboard.dir)) return false;
  await serveDashboardFile(req, res, dashboard.dir, pathname);
  return true;
}

/**
 * The bearer token when the request sends `Authorization` (checked, nothing else is tried), else the session
 * cookie; undefined when neither holds.
 */
export function identify(
  req: http.IncomingMessage,
  checkToken: (header: string | undefined) => boolean,
  auth: DashboardAuth,
): RequestIdentity | undefined {
  if (req.headers.authorization !== undefined) {
    return checkToken(req.headers.authorization) ? { kind: 'bearer' } : undefined;
  }
  return sessionOf(req, auth);
}

/**
 * A browser's request that changes something carries the session's CSRF token in `x-nanoclaw-csrf`, and, when
 * it sends an `Origin`, comes from the host's own origin; else 403 `csrf`.
 */
export function checkCsrf(req: http.IncomingMessage, session: DashboardSession): void {
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== 'string' || !secretsEqual(session.csrfToken, given)) {
    throw new HttpError(
      403,
      'csrf',
      `missing or wrong ${CSRF_HEADER} header: send the csrfToken of GET /auth/session`,
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== originOf(req)) {
    throw new HttpError(403, 'csrf', `requests from ${origin.slice(0, 200)} are refused`);
  }
}

/** `POST /api/v1/dashboard/links`: a one-time login link, made with the API token only. */
export function dashboardLinkRoute(auth: DashboardAuth): Route<RouteHandler> {
  return {
    method: 'POST',
    pattern: '/api/v1/dashboard/links',
    handler: async (context) => {
      if (context.identity.kind !== 'bearer') {
        throw new HttpError(403, 'forbidden', 'login links are made with the API token (nanoclaw dashboard)');
      }
      const { code, expiresAt } = auth.createCode();
      const url = `${originOf(context.req)}/auth/login?code=${encodeURIComponent(code)}`;
      return ok({ url, expiresAt }, 201);
    },
  };
}

function login(request: DashboardRequest, auth: DashboardAuth): void {
  const redeemed = auth.redeem(request.query.get('code') ?? '');
  if (!redeemed) {
    sendPage(request.res, 401, USED_LINK);
    return;
  }
  request.res.writeHead(303, {
    ...DASHBOARD_HEADERS,
    location: '/',
    'set-cookie': sessionCookie(request.req, redeemed.sessionId, SESSION_TTL_MS / 1000),
    'cache-control': 'no-store',
    'content-length': 0,
  });
  request.res.end();
}

function logout(request: DashboardRequest, auth: DashboardAuth): void {
  const sessionId = readCookie(request.req.headers.cookie, SESSION_COOKIE);
  const session = auth.session(sessionId);
  if (!session || sessionId === undefined) throw notSignedIn();
  checkCsrf(request.req, session);
  auth.revoke(sessionId);
  request.res.writeHead(204, {
    ...DASHBOARD_HEADERS,
    'set-cookie': sessionCookie(request.req, '', 0),
    'cache-control': 'no-store',
  });
  request.res.end();
}

function sessionOf(req: http.IncomingMessage, auth: DashboardAuth): RequestIdentity | undefined {
  const session = auth.session(readCookie(req.headers.cookie, SESSION_COOKIE));
  return session ? { kind: 'session', session } : undefined;
}

function sessionCookie(req: http.IncomingMessage, value: string, maxAgeSeconds: number): string {
  const secure = isTls(req) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The origin the client reached this server on (`http://127.0.0.1:7420`), from its Host header. */
function originOf(req: http.IncomingMessage): string {
  return `${isTls(req) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}

function isTls(req: http.IncomingMessage): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}

function notSignedIn(): HttpError {
  return new HttpError(401, 'unauthorized', 'not signed in: run `nanoclaw dashboard` in a terminal');
}

function allowOnly(res: http.ServerResponse, method: string, allowed: string[]): void {
  if (allowed.includes(method)) return;
  res.setHeader('allow', allowed.join(', '));
  throw new HttpError(405, 'method-not-allowed', `method not allowed (use ${allowed.join(' or ')})`);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...DASHBOARD_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
