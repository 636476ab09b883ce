import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { errorMessage, type Logger, type ProviderEgressRoute, silentLogger } from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import type { SandboxOwner } from '../ownership.js';
import { type AddressPolicy, createAddressPolicy } from './address-policy.js';
import {
  type EgressResolver,
  handleAbsoluteForm,
  handleConnect,
  type InternetEgressPolicy,
  parseAuthority,
  sendDenial,
  systemResolver,
  writeStatus,
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
  /**
   * Who may connect besides the proxy's own uid (`shareWith`; default nobody: mode 0600). The directory should
   * be just as closed (see `startSandboxEgress`).
   */
  socketOwner?: SandboxOwner;
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
  /**
   * Tunnels and forwarded requests open at once (default 256): each holds a connection to the sandbox and one
   * upstream. More are refused with 429; twice as many connections to the socket are dropped.
   */
  maxUpstreams?: number;
  /** How long a connection may take to send a request's headers, idle ones included (default 30 s). */
  headersTimeoutMs?: number;
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
  /** Refused because `maxUpstreams` were open, or dropped because twice as many connections were. */
  limited: number;
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
  // This proxy answers `100 Continue` itself; an upstream could refuse the expectation (417).
  'expect',
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
 * At most `maxUpstreams` tunnels and requests are open at once, and headers must arrive in `headersTimeoutMs`.
 */
export async function createEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  checkRoutes(options.routes);
  const stats: EgressProxyStats = {
    forwarded: 0,
    proxied: 0,
    tunnelled: 0,
    denied: 0,
    limited: 0,
    failed: 0,
  };
  const server = createProxyServer(options, stats);
  await listenOnSocket(server, options.socketPath, options.socketOwner);
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

/**
 * The proxy's HTTP server: each request and tunnel passes the upstream gate, then goes to its handler
 * (absolute-form and CONNECT: the internet policy; origin-form: the routes); parser errors are answered.
 */
function createProxyServer(options: EgressProxyOptions, stats: EgressProxyStats): http.Server {
  const logger = options.logger ?? silentLogger;
  const internet = { policy: internetPolicy(options), stats, logger };
  const routes: RouteContext = {
    routes: options.routes,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    stats,
    logger,
  };
  const maxUpstreams = options.maxUpstreams ?? 256;
  const gate = createUpstreamGate(maxUpstreams, stats, logger);
  const headersTimeout = options.headersTimeoutMs ?? 30_000;
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, 300_000),
      connectionsCheckingInterval: Math.min(headersTimeout / 2, 15_000),
    },
    (req, res) => {
      if (!gate.admit(res, req.url)) {
        req.resume();
        sendDenial(res, 429, 'egress_limit', gate.refusal);
      } else if (!(req.url ?? '/').startsWith('/')) handleAbsoluteForm(internet, req, res);
      else handleRouteRequest(routes, req, res);
    },
  );
  server.maxConnections = maxUpstreams * 2;
  server.on('drop', () => gate.limited('connection dropped', undefined));
  server.on('connect', (req, socket, head) => {
    if (gate.admit(socket, req.url)) handleConnect(internet, req, socket, head);
    else writeStatus(socket, 429, gate.refusal, 'egress_limit');
  });
  server.on('clientError', answerClientError);
  return server;
}

function internetPolicy(options: EgressProxyOptions): InternetEgressPolicy {
  return {
    internet: options.internet ?? 'none',
    connectHosts: connectHostSet(options.connectHosts ?? []),
    addressPolicy: options.addressPolicy ?? createAddressPolicy(),
    resolve: options.resolve ?? systemResolver,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
  };
}

function checkRoutes(routes: readonly EgressRoute[]): void {
  for (const route of routes) {
    if (!PREFIX_PATTERN.test(route.prefix))
      throw new SandboxError('invalid-argument', `egress prefix "${route.prefix}" must look like /name`);
    const upstream = new URL(route.upstream);
    if (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') {
      throw new SandboxError('invalid-argument', `egress upstream ${route.upstream} must be http(s)`);
    }
  }
}

/** `host:port` entries as `decideDestination` compares them (lower case). */
function connectHostSet(entries: readonly string[]): Set<string> {
  const hosts = new Set<string>();
  for (const entry of entries) {
    const target = parseAuthority(entry);
    if (!target)
      throw new SandboxError('invalid-argument', `egress CONNECT host "${entry}" must be host:port`);
    hosts.add(`${target.host}:${target.port}`);
  }
  return hosts;
}

interface RouteContext {
  routes: readonly EgressRoute[];
  maxBodyBytes: number;
  stats: EgressProxyStats;
  logger: Logger;
}

/** An origin-form request (`/<prefix>/...`): forwarded on its route with the host's credentials, or refused. */
function handleRouteRequest(ctx: RouteContext, req: http.IncomingMessage, res: http.ServerResponse): void {
  const decision = routeEgressRequest(ctx.routes, req.method ?? 'GET', req.url ?? '/');
  if (!decision.ok) {
    ctx.stats.denied++;
    ctx.logger.warn({ method: req.method, url: req.url, reason: decision.reason }, 'egress denied');
    req.resume();
    sendDenial(res, decision.status, 'egress_denied', decision.reason);
    return;
  }
  const { route, target } = decision;
  const client = target.protocol === 'https:' ? https : http;
  const headers = { ...routeHeaders(route, req.headers), host: target.host };
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
    ctx.stats.failed++;
    ctx.logger.warn({ route: route.prefix, err: error.message }, 'egress upstream failed');
    if (!res.headersSent) sendDenial(res, 502, 'egress_upstream_error', error.message);
    else res.destroy();
  });
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > ctx.maxBodyBytes) {
      upstreamReq.destroy(new Error('request body too large'));
      req.destroy();
    }
  });
  req.pipe(upstreamReq);
  ctx.stats.forwarded++;
  ctx.logger.debug({ route: route.prefix, method: req.method, path: target.pathname }, 'egress forwarded');
}

/** The sandbox's headers minus per-hop and credential ones (and those the route sets), plus the route's own. */
function routeHeaders(route: EgressRoute, incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  const setNames = new Set(Object.keys(route.setHeaders ?? {}).map((k) => k.toLowerCase()));
  for (const [name, value] of Object.entries(incoming)) {
    const lower = name.toLowerCase();
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(lower) || setNames.has(lower)) continue;
    headers[lower] = value;
  }
  for (const [name, value] of Object.entries(route.setHeaders ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * Admits a tunnel or request while fewer than `max` are open (each until its response or socket closes);
 * refusals and dropped connections are counted, and logged at the first and every 100th.
 */
function createUpstreamGate(max: number, stats: EgressProxyStats, logger: Logger) {
  let open = 0;
  const limited = (what: string, target: string | undefined) => {
    stats.limited++;
    if (stats.limited % 100 === 1) {
      logger.warn({ what, target, open, max, limited: stats.limited }, 'egress limit reached');
    }
  };
  return {
    refusal: `this sandbox already has ${max} connections open through the host proxy (egress limit)`,
    limited,
    admit(
      done: { once(event: 'close', listener: () => void): unknown },
      target: string | undefined,
    ): boolean {
      if (open >= max) {
        limited('refused', target);
        return false;
      }
      open++;
      done.once('close', () => {
        open--;
      });
      return true;
    },
  };
}

/** A request the HTTP parser refused (headers too long, too slow, malformed): answered, then closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  writeStatus(socket, status, `the egress proxy cannot read this request (${error.code ?? error.message})`);
  socket.once('finish', () => socket.destroy());
}

/** Listens on `socketPath` (replacing a stale one): mode 0600, or shared with `owner` (`shareWith`). */
async function listenOnSocket(
  server: http.Server,
  socketPath: string,
  owner: SandboxOwner | undefined,
): Promise<void> {
  await fs.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    if (owner) await shareWith(socketPath, owner, 'socket');
    else await fs.chmod(socketPath, 0o600);
  } catch (error) {
    server.close();
    throw error;
  }
}

/**
 * Shares the socket or its directory with `owner`, the uid the sandbox runs as on the host: when the proxy runs
 * as that uid, with nobody else (0700 / 0600); else through the group (`<proxy uid>:<owner gid>`, 0750 / 0660),
 * so the sandbox can connect but never write into the directory, and other users can do neither.
 */
export async function shareWith(file: string, owner: SandboxOwner, kind: 'dir' | 'socket'): Promise<void> {
  const self = process.getuid?.();
  const alone = self === undefined || owner.uid === self;
  await fs.chmod(file, kind === 'dir' ? (alone ? 0o700 : 0o750) : alone ? 0o600 : 0o660);
  if (alone) return;
  try {
    await fs.chown(file, self, owner.gid);
  } catch (error) {
    throw new SandboxError(
      'invalid-argument',
      `cannot share ${file} with the sandbox user ${owner.uid}:${owner.gid} (${errorMessage(error)}): ` +
        'a non-root host must run its sandboxes as its own user or a group it is in',
    );
  }
}
