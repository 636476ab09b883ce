import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Logger, ProviderEgressRoute } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { noopLogger } from '../noop-logger.js';
import { type AddressPolicy, createAddressPolicy } from './address-policy.js';
import {
  type EgressResolver,
  handleAbsoluteForm,
  handleConnect,
  parseAuthority,
  sendDenial,
  systemResolver,
} from './internet-egress.js';

/**
 * One upstream the sandbox may reach through the proxy (a provider's `ProviderEgressRoute` with its header
 * values read on the host): `http://127.0.0.1:<port><prefix>/...` → `<upstream>/...`, with `setHeaders` added
 * by the HOST (whatever the sandbox sent under these names is dropped). `secretEnvKeys` become a placeholder in
 * the sandbox env, so runtimes that insist on a key start while the key itself never enters the sandbox.
 */
export type EgressRoute = Omit<ProviderEgressRoute, 'setHeaders'> & {
  readonly setHeaders?: Readonly<Record<string, string>>;
};

export interface EgressProxyOptions {
  /** Unix socket the proxy listens on (its directory is mounted read-only into the sandbox). */
  socketPath: string;
  routes: readonly EgressRoute[];
  /** Socket mode (default 0o666: the sandbox's non-root uid must be able to connect; the directory limits who sees it). */
  socketMode?: number;
  /** Longest request body forwarded on a route (default 32 MiB). */
  maxBodyBytes?: number;
  /**
   * Besides the routes, as an HTTP proxy (CONNECT for https, absolute-form for http): `full` reaches any public
   * destination, `none` (default) only `connectHosts`, with CONNECT.
   */
  internet?: 'full' | 'none';
  /** `host:port` reachable with CONNECT in every mode (e.g. `chatgpt.com:443` for a runtime's own login). */
  connectHosts?: readonly string[];
  /** Which resolved addresses are refused (default `createAddressPolicy()`: private ranges and the host's own). */
  addressPolicy?: AddressPolicy;
  /** Host name → addresses (default the system resolver). */
  resolve?: EgressResolver;
  /** How long a CONNECT or an absolute-form request may take to connect (default 30 s). */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface EgressProxyStats {
  /** Requests forwarded on a route. */
  forwarded: number;
  /** Absolute-form (plain http) requests forwarded to the internet. */
  proxied: number;
  /** CONNECT tunnels opened. */
  tunnelled: number;
  /** Refused by policy (each logged with its reason). */
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
 * The host side of a sandbox's network: an HTTP server on a unix socket. The sandbox has no network at all; a
 * relay inside it (see `EGRESS_RELAY_SOURCE`) listens on 127.0.0.1 and pipes connections to this socket.
 * - `/<prefix>/...` (origin-form): the configured routes, with the credentials added here;
 * - CONNECT and absolute-form: an HTTP proxy to public destinations when `internet` is `full` (else only to
 *   `connectHosts`). The host resolves the name itself, refuses private, loopback, link-local and the host's
 *   own addresses (`addressPolicy`), and connects to the address it checked.
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
  const connectHosts = new Set<string>();
  for (const entry of options.connectHosts ?? []) {
    const target = parseAuthority(entry);
    if (!target)
      throw new SandboxError('invalid-argument', `egress CONNECT host "${entry}" must be host:port`);
    connectHosts.add(`${target.host}:${target.port}`);
  }
  const stats: EgressProxyStats = { forwarded: 0, proxied: 0, tunnelled: 0, denied: 0, failed: 0 };
  const internet = {
    policy: {
      internet: options.internet ?? 'none',
      connectHosts,
      addressPolicy: options.addressPolicy ?? createAddressPolicy(),
      resolve: options.resolve ?? systemResolver,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    },
    stats,
    logger,
  };

  const server = http.createServer((req, res) => {
    if (!(req.url ?? '/').startsWith('/')) {
      handleAbsoluteForm(internet, req, res);
      return;
    }
    const decision = routeEgressRequest(options.routes, req.method ?? 'GET', req.url ?? '/');
    if (!decision.ok) {
      stats.denied++;
      logger.warn({ method: req.method, url: req.url, reason: decision.reason }, 'egress denied');
      req.resume();
      sendDenial(res, decision.status, 'egress_denied', decision.reason);
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
      if (!res.headersSent) sendDenial(res, 502, 'egress_upstream_error', error.message);
      else res.destroy();
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
  server.on('connect', (req, socket, head) => handleConnect(internet, req, socket, head));
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
