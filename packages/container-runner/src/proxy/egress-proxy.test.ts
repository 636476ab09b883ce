import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScratchDir } from '../test-utils/sandbox-test-env.js';
import { createAddressPolicy } from './address-policy.js';
import { createEgressProxy, type EgressProxy, type EgressRoute, routeEgressRequest } from './egress-proxy.js';

const anthropicRoute = (key: string, upstream = 'https://api.anthropic.com'): EgressRoute => ({
  prefix: '/anthropic',
  upstream,
  allowPaths: ['/v1/messages', '/v1/models'],
  setHeaders: { 'x-api-key': key },
});
const openaiRoute = (key: string, upstream = 'https://api.openai.com/v1'): EgressRoute => ({
  prefix: '/openai',
  upstream,
  allowPaths: ['/responses', '/chat/completions', '/models'],
  setHeaders: { authorization: `Bearer ${key}` },
});

describe('routeEgressRequest', () => {
  const routes: EgressRoute[] = [
    { prefix: '/anthropic', upstream: 'https://api.anthropic.com', allowPaths: ['/v1/messages'] },
    { prefix: '/custom', upstream: 'http://127.0.0.1:9/base/', methods: ['POST'] },
  ];
  it('maps an allowed path onto the upstream, keeping the query', () => {
    const decision = routeEgressRequest(routes, 'POST', '/anthropic/v1/messages?beta=1');
    expect(decision.ok && decision.target.href).toBe('https://api.anthropic.com/v1/messages?beta=1');
    const nested = routeEgressRequest(routes, 'POST', '/anthropic/v1/messages/count_tokens');
    expect(nested.ok && nested.target.pathname).toBe('/v1/messages/count_tokens');
    const based = routeEgressRequest(routes, 'POST', '/custom/x');
    expect(based.ok && based.target.href).toBe('http://127.0.0.1:9/base/x');
  });
  it('keeps the version in the OpenAI base URL: <sandbox base>/responses reaches <upstream>/responses', () => {
    const openai = [openaiRoute('sk-x', 'http://127.0.0.1:9/v1')];
    const decision = routeEgressRequest(openai, 'POST', '/openai/responses');
    expect(decision.ok && decision.target.href).toBe('http://127.0.0.1:9/v1/responses');
    const official = routeEgressRequest([openaiRoute('sk-x')], 'POST', '/openai/chat/completions');
    expect(official.ok && official.target.href).toBe('https://api.openai.com/v1/chat/completions');
    expect(routeEgressRequest(openai, 'GET', '/openai/files')).toMatchObject({ ok: false, status: 403 });
  });
  it('refuses what is not configured', () => {
    expect(routeEgressRequest(routes, 'POST', '/openai/v1/responses')).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(routeEgressRequest(routes, 'POST', '/anthropic/v1/messagesX')).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(routeEgressRequest(routes, 'POST', '/anthropic/v1/admin')).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(routeEgressRequest(routes, 'DELETE', '/anthropic/v1/messages')).toMatchObject({
      ok: false,
      status: 405,
    });
    expect(routeEgressRequest(routes, 'GET', '/custom/x')).toMatchObject({ ok: false, status: 405 });
    // Encoded dot segments are resolved by the URL parser before routing (or refused): never forwarded raw.
    expect(routeEgressRequest(routes, 'POST', '/anthropic/v1/messages/%2e%2e/admin')).toMatchObject({
      ok: false,
    });
    expect(routeEgressRequest(routes, 'POST', '/anthropic/v1/messages/%2E./x')).toMatchObject({ ok: false });
    expect(routeEgressRequest(routes, 'GET', 'http://evil.example/anthropic/v1/messages')).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});

describe('createEgressProxy', () => {
  let dir: string;
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: EgressProxy;
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    dir = await makeScratchDir('egress-proxy');
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'set-cookie': 'tracking=1' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 20);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as { port: number }).port;
    proxy = await createEgressProxy({
      socketPath: path.join(dir, 'egress.sock'),
      routes: [anthropicRoute('sk-real-key', `http://127.0.0.1:${upstreamPort}`)],
    });
  });

  afterAll(async () => {
    await proxy.close();
    upstream.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, url: string, headers: Record<string, string> = {}, body = '') =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath: proxy.socketPath, method, path: url, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it("forwards allowed requests with the host credential, dropping the sandbox's own", async () => {
    const response = await call(
      'POST',
      '/anthropic/v1/messages',
      {
        'x-api-key': 'placeholder',
        authorization: 'Bearer stolen?',
        cookie: 'a=b',
        'anthropic-version': '2023-06-01',
      },
      '{"hello":1}',
    );
    expect(response.status).toBe(200);
    expect(response.body).toBe('data: one\n\ndata: two\n\n');
    expect(response.headers['set-cookie']).toBeUndefined();
    const request = seen.at(-1);
    expect(request?.url).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('sk-real-key');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers.cookie).toBeUndefined();
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(request?.body).toBe('{"hello":1}');
    // Only the proxy's own uid (here: the test's) may connect; startSandboxEgress gives it to the sandbox's.
    expect((await fs.stat(proxy.socketPath)).mode & 0o777).toBe(0o600);
  });

  it('denies everything else without contacting the upstream', async () => {
    const before = seen.length;
    expect((await call('GET', '/anthropic/v1/organizations')).status).toBe(403);
    expect((await call('POST', '/elsewhere/v1/messages')).status).toBe(403);
    expect((await call('PUT', '/anthropic/v1/messages')).status).toBe(405);
    expect(seen.length).toBe(before);
    expect(proxy.stats.denied).toBeGreaterThanOrEqual(3);
  });

  it('Expect: 100-continue: the proxy answers it and forwards the body without the expectation', async () => {
    const answer = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = http.request(
        {
          socketPath: proxy.socketPath,
          method: 'POST',
          path: '/anthropic/v1/messages',
          headers: { expect: '100-continue', 'content-length': '12' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        },
      );
      req.on('continue', () => {
        continued = true;
        req.end('{"after":100}'.slice(0, 12));
      });
      req.on('error', reject);
    });
    expect(answer).toEqual({ status: 200, continued: true });
    expect(seen.at(-1)?.body).toBe('{"after":100');
    expect(seen.at(-1)?.headers.expect).toBeUndefined();
  });

  it('answers a header line longer than 16 KiB with 431 and keeps serving', async () => {
    const answer = await rawExchange(
      proxy.socketPath,
      `GET /anthropic/v1/models HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer.text).toContain('HPE_HEADER_OVERFLOW');
    expect((await call('GET', '/anthropic/v1/models')).status).toBe(200);
  });

  it('answers 502 when the upstream is down', async () => {
    const down = await createEgressProxy({
      socketPath: path.join(dir, 'down.sock'),
      routes: [{ prefix: '/x', upstream: 'http://127.0.0.1:1' }],
    });
    try {
      const response = await new Promise<number>((resolve, reject) => {
        http
          .request({ socketPath: down.socketPath, method: 'GET', path: '/x/y' }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject)
          .end();
      });
      expect(response).toBe(502);
    } finally {
      await down.close();
    }
  });
});

/**
 * Writes `request` on a raw connection to the socket; resolves with all it got back, when it closed, and the
 * socket error (e.g. ECONNRESET) if it was reset.
 */
function rawExchange(
  socketPath: string,
  request: string,
): Promise<{ text: string; closedAfterMs: number; error?: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(socketPath, () => socket.write(request));
    let text = '';
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () =>
      resolve({ text, closedAfterMs: Date.now() - started, ...(error ? { error } : {}) }),
    );
  });
}

describe('slow and idle connections', () => {
  let dir: string;
  let proxy: EgressProxy;
  beforeAll(async () => {
    dir = await makeScratchDir('egress-slow');
    proxy = await createEgressProxy({
      socketPath: path.join(dir, 'slow.sock'),
      routes: [{ prefix: '/x', upstream: 'http://127.0.0.1:1' }],
      headersTimeoutMs: 400,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a connection that sends its headers too slowly (slowloris) is answered 408 and closed', async () => {
    const answer = await rawExchange(proxy.socketPath, 'GET /x/y HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer.closedAfterMs).toBeLessThan(3_000);
  });

  it('a connection that sends nothing is closed too', async () => {
    const answer = await rawExchange(proxy.socketPath, '');
    expect(answer.closedAfterMs).toBeLessThan(3_000);
  });
});

interface ProxyAnswer {
  status: number;
  body: string;
}

/** `CONNECT target` through the proxy's socket, then a plain HTTP GET through the tunnel. */
function connectThrough(socketPath: string, target: string): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: target });
    req.on('connect', (res, socket, head) => {
      if (res.statusCode !== 200) {
        // The refusal's body comes after the head, on the socket the client now owns.
        let body = head.toString('utf8');
        socket.on('data', (c: Buffer) => {
          body += c.toString('utf8');
        });
        socket.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
        return;
      }
      let raw = '';
      socket.on('data', (c: Buffer) => {
        raw += c.toString('utf8');
      });
      socket.on('end', () => resolve({ status: 200, body: raw.split('\r\n\r\n').slice(1).join('\r\n\r\n') }));
      socket.on('error', reject);
      socket.write(`GET /tunnelled HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `CONNECT target`, leaving the tunnel open: its status and socket. */
function openTunnel(socketPath: string, target: string): Promise<{ status: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: target });
    req.on('connect', (res, socket) =>
      resolve({ status: res.statusCode ?? 0, socket: socket as net.Socket }),
    );
    req.on('error', reject);
    req.end();
  });
}

/** An absolute-form request (`GET http://host/path`) as curl sends it to an HTTP proxy (or a route's path). */
function getThrough(
  socketPath: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method: 'GET',
        path: url,
        headers: { host: url.startsWith('/') ? 'sandbox' : new URL(url).host, ...headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the proxy as an HTTP proxy (CONNECT and absolute-form)', () => {
  let dir: string;
  let upstream: http.Server;
  let port: number;
  const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
  const proxies: EgressProxy[] = [];
  /** "Public" names for the test: each resolves to loopback addresses the simulated policy lets through. */
  const resolve = async (hostname: string): Promise<string[]> => {
    const table: Record<string, string[]> = {
      'public.example': ['127.0.0.1'],
      'mixed.example': ['10.20.30.40', '127.0.0.1'],
      'private.example': ['10.20.30.40'],
      'metadata.example': ['169.254.169.254'],
    };
    const found = table[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  /** The real policy, except that 127.0.0.1 counts as public (the only "internet" a test may reach). */
  const realPolicy = createAddressPolicy();
  const simulatedPublic = (address: string) => (address === '127.0.0.1' ? undefined : realPolicy(address));

  const start = async (name: string, options: Partial<Parameters<typeof createEgressProxy>[0]>) => {
    const proxy = await createEgressProxy({
      socketPath: path.join(dir, `${name}.sock`),
      routes: [],
      resolve,
      ...options,
    });
    proxies.push(proxy);
    return proxy;
  };

  beforeAll(async () => {
    dir = await makeScratchDir('egress-internet');
    upstream = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.end(`public answer for ${req.url}`);
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    port = (upstream.address() as { port: number }).port;
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    upstream.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('full: tunnels CONNECT and forwards absolute-form to a public destination, at the address it checked', async () => {
    const proxy = await start('full', { internet: 'full', addressPolicy: simulatedPublic });
    const tunnel = await connectThrough(proxy.socketPath, `public.example:${port}`);
    expect(tunnel).toMatchObject({ status: 200, body: 'public answer for /tunnelled' });
    const plain = await getThrough(proxy.socketPath, `http://public.example:${port}/page?q=1`, {
      authorization: 'Bearer the-agents-own-token',
      'proxy-authorization': 'Basic c2VjcmV0',
    });
    expect(plain).toEqual({ status: 200, body: 'public answer for /page?q=1' });
    const forwarded = seen.at(-1);
    // The agent's own headers go on; per-hop and proxy credentials do not; Host names the destination.
    expect(forwarded?.headers.authorization).toBe('Bearer the-agents-own-token');
    expect(forwarded?.headers['proxy-authorization']).toBeUndefined();
    expect(forwarded?.headers.host).toBe(`public.example:${port}`);
    // A name with a private and a public address: only the public one is ever dialled.
    expect(await getThrough(proxy.socketPath, `http://mixed.example:${port}/m`)).toMatchObject({
      status: 200,
    });
    expect(proxy.stats).toMatchObject({ tunnelled: 1, proxied: 2, denied: 0 });
  });

  it('full: refuses private, link-local and loopback destinations before dialling, naming the range', async () => {
    const proxy = await start('full-real', { internet: 'full' });
    const before = seen.length;
    const refused = [
      await getThrough(proxy.socketPath, `http://127.0.0.1:${port}/x`),
      await getThrough(proxy.socketPath, `http://[::ffff:127.0.0.1]:${port}/x`),
      await getThrough(proxy.socketPath, `http://public.example:${port}/x`),
      await connectThrough(proxy.socketPath, `127.0.0.1:${port}`),
      await connectThrough(proxy.socketPath, `[::1]:${port}`),
      await connectThrough(proxy.socketPath, 'private.example:80'),
      await connectThrough(proxy.socketPath, 'metadata.example:80'),
      await connectThrough(proxy.socketPath, '169.254.169.254:80'),
      await getThrough(proxy.socketPath, 'http://10.1.2.3/'),
      await connectThrough(proxy.socketPath, `[64:ff9b::127.0.0.1]:${port}`),
    ];
    expect(refused.map((answer) => answer.status)).toEqual(Array(refused.length).fill(403));
    const reasons = refused.map(
      (answer) => (JSON.parse(answer.body) as { error: { message: string } }).error.message,
    );
    expect(reasons[0]).toBe('127.0.0.1 is loopback: never reachable from a sandbox');
    expect(reasons[1]).toMatch(/loopback/);
    expect(reasons[2]).toBe('public.example is 127.0.0.1, loopback: never reachable from a sandbox');
    expect(reasons[5]).toMatch(/private \(RFC 1918\)/);
    expect(reasons[6]).toMatch(/link-local/);
    expect(reasons[8]).toMatch(/private/);
    expect(reasons[9]).toBe(
      '64:ff9b::127.0.0.1 is loopback (in NAT64 64:ff9b::/96): never reachable from a sandbox',
    );
    expect(JSON.parse(refused[0]?.body ?? '{}')).toMatchObject({ error: { type: 'egress_denied' } });
    expect(seen.length).toBe(before);
    expect(proxy.stats).toMatchObject({ denied: refused.length, tunnelled: 0, proxied: 0 });
  });

  it("full: refuses the host's own interface addresses", async () => {
    const proxy = await start('own', {
      internet: 'full',
      addressPolicy: createAddressPolicy({ hostAddresses: () => ['127.0.0.1'] }),
    });
    const answer = await connectThrough(proxy.socketPath, `127.0.0.1:${port}`);
    expect(answer.status).toBe(403);
  });

  it('none: refuses the internet, naming the policy, but tunnels to the declared CONNECT hosts', async () => {
    const proxy = await start('none', {
      internet: 'none',
      connectHosts: [`public.example:${port}`],
      addressPolicy: simulatedPublic,
    });
    const plain = await getThrough(proxy.socketPath, `http://public.example:${port}/x`);
    expect(plain.status).toBe(403);
    expect(JSON.parse(plain.body)).toEqual({
      error: {
        type: 'egress_denied',
        message: `network "none": this sandbox reaches only its model routes and CONNECT to public.example:${port}, not public.example:${port} (container.json "network": "full" allows the internet)`,
      },
    });
    expect((await connectThrough(proxy.socketPath, 'mixed.example:443')).status).toBe(403);
    expect(await connectThrough(proxy.socketPath, `public.example:${port}`)).toMatchObject({ status: 200 });
    expect(proxy.stats).toMatchObject({ denied: 2, tunnelled: 1 });
  });

  it('answers 502 for a name that does not resolve and 400 for a malformed target', async () => {
    const proxy = await start('errors', { internet: 'full', addressPolicy: simulatedPublic });
    expect((await connectThrough(proxy.socketPath, 'nowhere.example:443')).status).toBe(502);
    expect((await connectThrough(proxy.socketPath, 'no-port')).status).toBe(400);
    expect((await getThrough(proxy.socketPath, 'ftp://public.example/x')).status).toBe(400);
  });

  it("a route's own upstream is reachable only as the route: CONNECT and absolute-form to it are refused", async () => {
    const proxy = await start('route-host', {
      internet: 'full',
      routes: [{ prefix: '/model', upstream: `http://127.0.0.1:${port}/v1` }],
    });
    expect((await connectThrough(proxy.socketPath, `127.0.0.1:${port}`)).status).toBe(403);
    expect((await getThrough(proxy.socketPath, `http://127.0.0.1:${port}/v1/x`)).status).toBe(403);
    expect(await getThrough(proxy.socketPath, '/model/x')).toEqual({
      status: 200,
      body: 'public answer for /v1/x',
    });
  });

  it('at most maxUpstreams tunnels and requests at once: more are refused with 429, counted, until one closes', async () => {
    const proxy = await start('limited', {
      internet: 'full',
      addressPolicy: simulatedPublic,
      maxUpstreams: 2,
    });
    const first = await openTunnel(proxy.socketPath, `public.example:${port}`);
    const second = await openTunnel(proxy.socketPath, `public.example:${port}`);
    expect([first.status, second.status]).toEqual([200, 200]);
    const refused = await connectThrough(proxy.socketPath, `public.example:${port}`);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({
      error: {
        type: 'egress_limit',
        message: 'this sandbox already has 2 connections open through the host proxy (egress limit)',
      },
    });
    expect((await getThrough(proxy.socketPath, `http://public.example:${port}/x`)).status).toBe(429);
    expect(proxy.stats).toMatchObject({ tunnelled: 2, limited: 2 });
    first.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await getThrough(proxy.socketPath, `http://public.example:${port}/again`)).toEqual({
      status: 200,
      body: 'public answer for /again',
    });
    second.socket.destroy();
  });

  it('drops connections beyond twice maxUpstreams (file descriptors stay bounded), counting them', async () => {
    const proxy = await start('dropping', { maxUpstreams: 1 });
    const idle = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.connect(proxy.socketPath, () => resolve(socket));
          }),
      ),
    );
    const third = await rawExchange(proxy.socketPath, 'GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(third).toMatchObject({ text: '' });
    expect(proxy.stats.limited).toBe(1);
    for (const socket of idle) socket.destroy();
  });

  it('refuses a CONNECT host that is not host:port', async () => {
    await expect(start('bad', { connectHosts: ['chatgpt.com'] })).rejects.toThrow(/must be host:port/);
  });
});
