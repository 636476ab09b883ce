import dns from 'node:dns/promises';
import type http from 'node:http';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage, type Logger } from '@nanoclaw/core';
import type { AddressPolicy } from './address-policy.js';

/** Resolves a host name to its addresses (default: the system resolver, `dns.lookup`, all addresses). */
export type EgressResolver = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: EgressResolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** What the proxy lets a sandbox reach besides its routes. */
export interface InternetEgressPolicy {
  /** `full`: any public destination; `none`: only `connectHosts` (with CONNECT). */
  internet: 'full' | 'none';
  /** `host:port` reachable with CONNECT even in `none` (lower case). */
  connectHosts: ReadonlySet<string>;
  addressPolicy: AddressPolicy;
  resolve: EgressResolver;
  connectTimeoutMs: number;
}

export interface InternetEgressStats {
  proxied: number;
  tunnelled: number;
  denied: number;
  failed: number;
}

interface Context {
  policy: InternetEgressPolicy;
  stats: InternetEgressStats;
  logger: Logger;
}

type Decision = { ok: true; address: string } | { ok: false; status: number; reason: string };

/** Per-hop headers (RFC 9110 7.6.1) and proxy credentials: never passed on in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Answered by this proxy (`100 Continue`); never a response header.
  'expect',
]);

/** `host:port` of a CONNECT request (`[v6]:port` too), or undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]+)):(\d{1,5})$/.exec(authority);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host: host.toLowerCase(), port };
}

/**
 * May the sandbox reach `host:port`, and at which address (pure apart from `resolve`)? The mode decides first
 * (nothing is resolved for a refused destination); then every address the host resolves is checked, and the
 * first allowed one is the one to connect to, so a later lookup cannot swap it (no DNS rebinding).
 */
export async function decideDestination(
  policy: InternetEgressPolicy,
  kind: 'connect' | 'http',
  host: string,
  port: number,
): Promise<Decision> {
  const connectAllowed = kind === 'connect' && policy.connectHosts.has(`${host}:${port}`);
  if (policy.internet !== 'full' && !connectAllowed) {
    const listed = [...policy.connectHosts];
    const also = listed.length > 0 ? ` and CONNECT to ${listed.join(', ')}` : '';
    return {
      ok: false,
      status: 403,
      reason: `network "none": this sandbox reaches only its model routes${also}, not ${host}:${port} (container.json "network": "full" allows the internet)`,
    };
  }
  let addresses: readonly string[];
  try {
    addresses = net.isIP(host) ? [host] : await policy.resolve(host);
  } catch (error) {
    return { ok: false, status: 502, reason: `cannot resolve ${host}: ${errorMessage(error)}` };
  }
  let refused: string | undefined;
  for (const address of addresses) {
    const range = policy.addressPolicy(address);
    if (!range) return { ok: true, address };
    refused ??= `${host} is ${address === host ? '' : `${address}, `}${range}: never reachable from a sandbox`;
  }
  return { ok: false, status: 403, reason: refused ?? `${host} has no address` };
}

/** `CONNECT host:port`: a TCP tunnel to the checked address, or a refusal with the reason. */
export function handleConnect(ctx: Context, req: http.IncomingMessage, client: Duplex, head: Buffer): void {
  client.on('error', () => client.destroy());
  const target = parseAuthority(req.url ?? '');
  if (!target) {
    refuseSocket(ctx, client, 400, `malformed CONNECT target ${JSON.stringify(req.url)}`, req.url);
    return;
  }
  decideDestination(ctx.policy, 'connect', target.host, target.port).then(
    (decision) => {
      if (!decision.ok) {
        refuseSocket(ctx, client, decision.status, decision.reason, req.url);
        return;
      }
      const upstream = net.connect({ host: decision.address, port: target.port });
      let opened = false;
      upstream.setTimeout(ctx.policy.connectTimeoutMs, () =>
        upstream.destroy(new Error(`no connection within ${ctx.policy.connectTimeoutMs} ms`)),
      );
      upstream.once('connect', () => {
        opened = true;
        upstream.setTimeout(0);
        ctx.stats.tunnelled++;
        ctx.logger.debug({ target: req.url, address: decision.address }, 'egress tunnel opened');
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', (error) => {
        if (opened) {
          client.destroy();
          return;
        }
        ctx.stats.failed++;
        ctx.logger.warn({ target: req.url, err: error.message }, 'egress tunnel failed');
        writeStatus(client, 502, `cannot connect to ${req.url}: ${error.message}`);
      });
      client.on('close', () => upstream.destroy());
    },
    (error: unknown) => dropAfterFailure(ctx, req.url, error, client),
  );
}

/** An absolute-form request (`GET http://host/path`): forwarded to the checked address, per-hop headers dropped. */
export function handleAbsoluteForm(ctx: Context, req: http.IncomingMessage, res: http.ServerResponse): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    refuseResponse(ctx, req, res, 400, 'malformed URL');
    return;
  }
  if (url.protocol !== 'http:') {
    refuseResponse(ctx, req, res, 400, `${url.protocol} is not proxied this way (use CONNECT for https)`);
    return;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = Number(url.port || 80);
  decideDestination(ctx.policy, 'http', host, port).then(
    (decision) => {
      if (!decision.ok) {
        refuseResponse(ctx, req, res, decision.status, decision.reason);
        return;
      }
      const upstream = httpRequest(
        {
          host: decision.address,
          port,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers: { ...passOnHeaders(req.headers), host: url.host },
          setHost: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, passOnHeaders(answer.headers));
          answer.pipe(res);
        },
      );
      upstream.setTimeout(ctx.policy.connectTimeoutMs, () =>
        upstream.destroy(new Error(`no answer within ${ctx.policy.connectTimeoutMs} ms`)),
      );
      upstream.on('error', (error) => {
        ctx.stats.failed++;
        ctx.logger.warn({ url: req.url, err: error.message }, 'egress request failed');
        if (!res.headersSent) sendDenial(res, 502, 'egress_upstream_error', error.message);
        else res.destroy();
      });
      req.pipe(upstream);
      ctx.stats.proxied++;
      ctx.logger.debug({ method: req.method, url: req.url, address: decision.address }, 'egress proxied');
    },
    (error: unknown) => dropAfterFailure(ctx, req.url, error, res),
  );
}

/** The refusal a sandbox sees: JSON naming the policy (`egress_denied`). */
export function sendDenial(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: { type, message } }));
}

function refuseResponse(
  ctx: Context,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  reason: string,
): void {
  ctx.stats.denied++;
  ctx.logger.warn({ method: req.method, url: req.url, reason }, 'egress denied');
  req.resume();
  sendDenial(res, status, 'egress_denied', reason);
}

function refuseSocket(ctx: Context, client: Duplex, status: number, reason: string, target?: string): void {
  ctx.stats.denied++;
  ctx.logger.warn({ method: 'CONNECT', url: target, reason }, 'egress denied');
  writeStatus(client, status, reason);
}

/** A raw HTTP answer on a socket the HTTP server no longer writes (CONNECT, parser errors), then the end. */
export function writeStatus(
  client: Duplex,
  status: number,
  reason: string,
  type = status === 502 ? 'egress_upstream_error' : 'egress_denied',
): void {
  const body = JSON.stringify({ error: { type, message: reason } });
  const text = STATUS_CODES[status] ?? 'Error';
  client.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function passOnHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !HOP_BY_HOP.has(lower) && !named.includes(lower)) out[lower] = value;
  }
  return out;
}

/**
 * A destination check (or the forwarding it started) that threw: never an unhandled rejection in the host. The
 * sandbox's connection is dropped (its client sees a reset, as for an unreachable address) and the failure logged.
 */
function dropAfterFailure(
  ctx: Context,
  target: string | undefined,
  error: unknown,
  connection: { destroy(): unknown },
): void {
  ctx.stats.failed++;
  ctx.logger.warn({ target, err: errorMessage(error) }, 'egress request failed; connection dropped');
  connection.destroy();
}
