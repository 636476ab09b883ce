import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@nanoclaw/core';
import type { HostApi } from '../host-api.js';
import { createDashboardAuth, type DashboardAuth, secretsEqual } from './dashboard-auth.js';
import { checkCsrf, type DashboardServing, identify, serveDashboard } from './dashboard-routes.js';
import { defaultDashboardDir } from './dashboard-static.js';
import { HttpError, toHttpError } from './http-error.js';
import { DEFAULT_BODY_LIMIT_BYTES } from './json-body.js';
import { createRouter } from './router.js';
import { createApiRoutes, type RouteHandler, type RouteResult } from './routes.js';
import { DEFAULT_HEARTBEAT_MS, type SseStream } from './sse.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 7420;

export interface HttpApiOptions {
  api: HostApi;
  /** The bearer token every route but `/healthz` requires (see `ensureApiToken`). */
  token: string;
  logger: Logger;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 7420; `0` picks a free port. */
  port?: number;
  /** SSE heartbeat comment interval; default 15 s. */
  heartbeatMs?: number;
  /** Largest JSON body; default 1 MB. */
  bodyLimitBytes?: number;
  /** The dashboard's built files; default: `dist/` of the `@nanoclaw/dashboard` package, when installed. */
  dashboardDir?: string;
  /** The dashboard's sign-in (login codes, sessions); default: a fresh one, in memory. */
  dashboardAuth?: DashboardAuth;
}

export interface HttpApi {
  readonly server: http.Server;
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:7420`). */
  listen(): Promise<string>;
  /** The base URL; throws before `listen()` resolved. */
  readonly url: string;
  /** Ends event streams and open connections, stops listening. Idempotent. */
  close(): Promise<void>;
}

/** The host's local HTTP API on `node:http`: health, readiness, the `/api/v1` routes and event streams. */
export function createHttpApi(options: HttpApiOptions): HttpApi {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const port = options.port ?? DEFAULT_HTTP_PORT;
  const logger = options.logger.child({ component: 'http' });
  if (options.token.length < 16) throw new Error('the API token must be at least 16 characters');
  const streams = new Set<SseStream>();
  const dashboard: DashboardServing = {
    auth: options.dashboardAuth ?? createDashboardAuth(),
    dir: options.dashboardDir ?? defaultDashboardDir(),
  };
  const router = createRouter<RouteHandler>(
    createApiRoutes({
      api: options.api,
      bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      sse: { heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS },
      streams,
      dashboardAuth: dashboard.auth,
    }),
  );
  const checkToken = createTokenCheck(options.token);
  const inflight = createInflightCounter();
  const server = http.createServer((req, res) => {
    inflight.track(res);
    handleRequest({ req, res, router, checkToken, dashboard, logger }).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error', code: 'internal' });
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  let url: string | undefined;
  let closing: Promise<void> | undefined;
  return {
    server,
    get url() {
      if (url === undefined) throw new Error('the HTTP API is not listening yet');
      return url;
    },
    listen: async () => {
      await listen(server, host, port, logger);
      url = `http://${formatHost(host)}:${(server.address() as AddressInfo).port}`;
      if (!isLoopback(host)) logger.warn({ host }, 'the HTTP API listens on a non-loopback address');
      return url;
    },
    close: () => {
      closing ??= closeServer(server, streams, inflight);
      return closing;
    },
  };
}

interface RequestDeps {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  router: ReturnType<typeof createRouter<RouteHandler>>;
  checkToken: (header: string | undefined) => boolean;
  dashboard: DashboardServing;
  logger: Logger;
}

async function handleRequest(deps: RequestDeps): Promise<void> {
  const { req, res, router, logger } = deps;
  const started = Date.now();
  const method = req.method ?? 'GET';
  const { pathname, searchParams } = parseUrl(req.url);
  res.on('finish', () =>
    logger.debug(
      { method, path: pathname, status: res.statusCode, ms: Date.now() - started },
      'HTTP request',
    ),
  );
  try {
    if (pathname === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(res, ['GET']);
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (await serveDashboard({ req, res, method, pathname, query: searchParams }, deps.dashboard)) return;
    const identity = identify(req, deps.checkToken, deps.dashboard.auth);
    if (!identity) {
      res.setHeader('www-authenticate', 'Bearer realm="nanoclaw"');
      throw new HttpError(
        401,
        'unauthorized',
        'missing or wrong bearer token: send "Authorization: Bearer <token>" with the token from <NANOCLAW_DATA_DIR>/api-token',
      );
    }
    if (identity.kind === 'session' && method !== 'GET' && method !== 'HEAD')
      checkCsrf(req, identity.session);
    const match = router.match(method, pathname);
    if (match.kind === 'not-found') throw new HttpError(404, 'not-found', `no route ${method} ${pathname}`);
    if (match.kind === 'method-not-allowed') throw methodNotAllowed(res, match.allowed);
    const result = await match.handler({ req, res, params: match.params, query: searchParams, identity });
    sendResult(res, result);
  } catch (error) {
    const httpError = toHttpError(error);
    if (httpError.status >= 500 && !(error instanceof HttpError)) {
      logger.error({ err: error, method, path: pathname }, 'HTTP request failed');
    }
    sendError(res, httpError);
  }
}

function sendResult(res: http.ServerResponse, result: RouteResult): void {
  if (result === 'streaming') return;
  if (result.body === undefined) {
    res.writeHead(result.status).end();
    return;
  }
  sendJson(res, result.status, result.body);
}

function sendError(res: http.ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of a refused body is not worth reading: close the connection once the answer is out.
  if (error.status === 413) res.setHeader('connection', 'close');
  sendJson(res, error.status, error.toBody());
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function methodNotAllowed(res: http.ServerResponse, allowed: string[]): HttpError {
  res.setHeader('allow', allowed.join(', '));
  return new HttpError(405, 'method-not-allowed', `method not allowed (use ${allowed.join(' or ')})`);
}

function parseUrl(raw: string | undefined): { pathname: string; searchParams: URLSearchParams } {
  try {
    const url = new URL(raw ?? '/', 'http://localhost');
    return { pathname: url.pathname, searchParams: url.searchParams };
  } catch {
    return { pathname: '/', searchParams: new URLSearchParams() };
  }
}

/** Compares `Authorization: Bearer <token>` in constant time (SHA-256 of both sides, so lengths never leak). */
export function createTokenCheck(token: string): (header: string | undefined) => boolean {
  return (header) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    return secretsEqual(token, match?.[1] ?? '') && match !== null;
  };
}

function listen(server: http.Server, host: string, port: number, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE'
          ? ` (port ${port} is taken: is another host running? stop it or set NANOCLAW_HTTP_PORT)`
          : '';
      reject(new Error(`cannot listen on ${host}:${port}: ${error.message}${hint}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
      resolve();
    });
  });
}

/** Requests being answered (event streams included until they end), so `close` can wait for them. */
function createInflightCounter() {
  let count = 0;
  const waiters = new Set<() => void>();
  return {
    track(res: http.ServerResponse): void {
      count += 1;
      res.once('close', () => {
        count -= 1;
        if (count === 0) for (const wake of waiters) wake();
      });
    },
    /** Resolves when nothing is in flight, or after `ms`. */
    drained(ms: number): Promise<void> {
      if (count === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
  };
}

const CLOSE_GRACE_MS = 2_000;

async function closeServer(
  server: http.Server,
  streams: Set<SseStream>,
  inflight: ReturnType<typeof createInflightCounter>,
): Promise<void> {
  for (const stream of [...streams]) stream.close();
  streams.clear();
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Let requests being answered finish (briefly), then drop every connection, idle or never used.
  await inflight.drained(CLOSE_GRACE_MS);
  server.closeAllConnections();
  await closed;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
