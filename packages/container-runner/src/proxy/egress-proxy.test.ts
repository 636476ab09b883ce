import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScratchDir } from '../test-utils/sandbox-test-env.js';
import {
  anthropicEgressRoute,
  createEgressProxy,
  type EgressProxy,
  type EgressRoute,
  openaiEgressRoute,
  routeEgressRequest,
} from './egress-proxy.js';

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
    const openai = [openaiEgressRoute('sk-x', 'http://127.0.0.1:9/v1')];
    const decision = routeEgressRequest(openai, 'POST', '/openai/responses');
    expect(decision.ok && decision.target.href).toBe('http://127.0.0.1:9/v1/responses');
    const official = routeEgressRequest([openaiEgressRoute('sk-x')], 'POST', '/openai/chat/completions');
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
      routes: [anthropicEgressRoute('sk-real-key', `http://127.0.0.1:${upstreamPort}`)],
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
    expect((await fs.stat(proxy.socketPath)).mode & 0o777).toBe(0o666);
  });

  it('denies everything else without contacting the upstream', async () => {
    const before = seen.length;
    expect((await call('GET', '/anthropic/v1/organizations')).status).toBe(403);
    expect((await call('POST', '/elsewhere/v1/messages')).status).toBe(403);
    expect((await call('PUT', '/anthropic/v1/messages')).status).toBe(405);
    expect(seen.length).toBe(before);
    expect(proxy.stats.denied).toBeGreaterThanOrEqual(3);
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
