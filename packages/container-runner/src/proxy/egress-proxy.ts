import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { noopLogger } from '../noop-logger.js';

/** One upstream the sandbox may reach through the proxy, e.g. the provider's model API. */
export interface EgressRoute {
  /** First path segment the sandbox uses for this upstream: `/anthropic` → `http://127.0.0.1:<port>/anthropic/...`. */
  prefix: string;
  /** Upstream origin (http or https), e.g. `https://api.anthropic.com`. A path, if any, is prepended. */
  upstream: string;
  /** Only paths starting with one of these (after the prefix) are forwarded, e.g. `['/v1/messages']`; default all. */
  allowPaths?: readonly string[];
  /** Allowed methods (default GET, POST). */
  methods?: readonly string[];
  /** Headers the HOST adds to every forwarded request (credentials): whatever the sandbox sent under these names is dropped. */
  setHeaders?: Readonly<Record<string, string>>;
  /** Sandbox env var that gets this route's base URL (e.g. `ANTHROPIC_BASE_URL`). */
  baseUrlEnv?: string;
  /**
   * Env keys holding the real credential: removed from the sandbox env and replaced with a placeholder, so
   * runtimes that insist on a key start, while the key itself never enters the sandbox.
   */
  secretEnvKeys?: readonly string[];
}

export interface EgressProxyOptions {
  /** Unix socket the proxy listens on (its directory is mounted read-only into the sandbox). */
  socketPath: string;
  routes: readonly EgressRoute[];
  /** Socket mode (default 0o666: the sandbox's non-root uid must be able to connect; the directory limits who sees it). */
  socketMode?: number;
  /** Longest request body forwarded (default 32 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

export interface EgressProxyStats {
  forwarded: number;
  denied: number;
  failed: number;
}

export interface EgressProxy {
  readonly socketPath: string;
  readonly routes: readonly EgressRoute[];
  readonly stats: Readonly<EgressProxyStats>;
  close(): Promise<void>;
}

/** Request headers that are per-hop or carry credentials: never forwarded from the sandbox. */
const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
]);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'set-cookie']);
const PREFIX_PATTERN = /^\/[a-z0-9][a-z0-9_-]{0,63}$/;

/** Where a request goes, or why it may not (pure). */
export function routeEgressRequest(
  routes: readonly EgressRoute[],
  method: string,
  rawUrl: string,
): { ok: true; route: EgressRoute; target: URL } | { ok: false; status: number; reason: string } {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://sandbox.invalid');
  } catch {
    return { ok: false, status: 400, reason: 'malformed URL' };
  }
  if (url.origin !== 'http://sandbox.invalid')
    return { ok: false, status: 400, reason: 'absolute-form URLs are not proxied' };
  const segments = url.pathname.split('/');
  if (
    segments.includes('..') ||
    segments.includes('.') ||
    url.pathname.includes('%2e') ||
    url.pathname.includes('%2E')
  ) {
    return { ok: false, status: 400, reason: 'dot segments are not allowed' };
  }
  const prefix = `/${segments[1] ?? ''}`;
  const route = routes.find((r) => r.prefix === prefix);
  if (!route) return { ok: false, status: 403, reason: `no egress route for ${prefix}` };
  const methods = route.methods ?? ['GET', 'POST'];
  if (!methods.includes(method.toUpperCase()))
    return { ok: false, status: 405, reason: `${method} is not allowed` };
  const rest = url.pathname.slice(prefix.length) || '/';
  if (
    route.allowPaths &&
    !route.allowPaths.some((p) => rest === p || rest.startsWith(p.endsWith('/') ? p : `${p}/`))
  ) {
    return { ok: false, status: 403, reason: `path ${rest} is not allowed for ${prefix}` };
  }
  const upstream = new URL(route.upstream);
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const target = new URL(`${basePath}${rest}${url.search}`, upstream.origin);
  return { ok: true, route, target };
}

/**
 * The host side of `network: 'proxy'`: an HTTP server on a unix socket that forwards only the configured
 * routes and adds their credentials itself. The sandbox has no network at all; a relay inside it (see
 * `EGRESS_RELAY_SOURCE`) listens on 127.0.0.1 and pipes connections to this socket.
 */
export async function createEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const logger = options.logger ?? noopLogger;
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  for (const route of options.routes) {
    if (!PREFIX_PATTERN.test(route.prefix))
      throw new SandboxError('invalid-argument', `egress prefix "${route.prefix}" must look like /name`);
    const upstream = new URL(route.upstream);
    if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') {
      throw new SandboxError('invalid-argument', `egress upstream ${route.upstream} must be http(s)`);
    }
  }
  const stats: EgressProxyStats = { forwarded: 0, denied: 0, failed: 0 };

  const server = http.createServer((req, res) => {
    const decision = routeEgressRequest(options.routes, req.method ?? 'GET', req.url ?? '/');
    if (!decision.ok) {
      stats.denied++;
      logger.warn({ method: req.method, url: req.url, reason: decision.reason }, 'egress denied');
      res.writeHead(decision.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'egress_denied', message: decision.reason } }));
      req.resume();
      return;
    }
    const { route, target } = decision;
    const headers: http.OutgoingHttpHeaders = {};
    const setNames = new Set(Object.keys(route.setHeaders ?? {}).map((k) => k.toLowerCase()));
    for (const [name, value] of Object.entries(req.headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || DROPPED_REQUEST_HEADERS.has(lower) || setNames.has(lower)) continue;
      headers[lower] = value;
    }
    for (const [name, value] of Object.entries(route.setHeaders ?? {})) headers[name.toLowerCase()] = value;
    headers.host = target.host;
    const client = target.protocol === 'https:' ? https : http;
    let received = 0;
    const upstreamReq = client.request(target, { method: req.method, headers }, (upstreamRes) => {
      const responseHeaders: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name.toLowerCase()))
          responseHeaders[name] = value;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', (error) => {
      stats.failed++;
      logger.warn({ route: route.prefix, err: error.message }, 'egress upstream failed');
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'egress_upstream_error', message: error.message } }));
      } else res.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBody) {
        upstreamReq.destroy(new Error('request body too large'));
        req.destroy();
      }
    });
    req.pipe(upstreamReq);
    stats.forwarded++;
    logger.debug({ route: route.prefix, method: req.method, path: target.pathname }, 'egress forwarded');
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await fs.rm(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fs.chmod(options.socketPath, options.socketMode ?? 0o666);

  return {
    socketPath: options.socketPath,
    routes: options.routes,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }).then(() => fs.rm(options.socketPath, { force: true })),
  };
}

/** Routes for the usual providers (the key is added by the host; the sandbox gets a placeholder). */
export function anthropicEgressRoute(apiKey: string, upstream = 'https://api.anthropic.com'): EgressRoute {
  return {
    prefix: '/anthropic',
    upstream,
    allowPaths: ['/v1/messages', '/v1/models'],
    setHeaders: { 'x-api-key': apiKey },
    baseUrlEnv: 'ANTHROPIC_BASE_URL',
    secretEnvKeys: ['ANTHROPIC_API_KEY'],
  };
}

/**
 * OpenAI's base URL includes the API version (`https://api.openai.com/v1`, as `OPENAI_BASE_URL` is written for
 * every OpenAI client), so the allowed paths are relative to it: the sandbox's `OPENAI_BASE_URL` becomes
 * `http://127.0.0.1:<port>/openai` and `<that>/responses` reaches `<upstream>/responses`.
 */
export function openaiEgressRoute(apiKey: string, upstream = 'https://api.openai.com/v1'): EgressRoute {
  return {
    prefix: '/openai',
    upstream,
    allowPaths: ['/responses', '/chat/completions', '/models'],
    setHeaders: { authorization: `Bearer ${apiKey}` },
    baseUrlEnv: 'OPENAI_BASE_URL',
    secretEnvKeys: ['OPENAI_API_KEY'],
  };
}
