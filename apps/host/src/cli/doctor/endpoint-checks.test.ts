import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { createFakeChatCompletionsServer } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils.js';
import { providerContributions } from './credential-checks.js';
import type { DoctorGroup } from './doctor-groups.js';
import { checkModelEndpoints } from './endpoint-checks.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const group = (folder: string, id: string, env: Record<string, string> = {}): DoctorGroup => ({
  folder,
  served: true,
  provider: { id, source: 'group' },
  config: { env } as DoctorGroup['config'],
  configError: null,
});

const check = (groups: DoctorGroup[], hostEnv: Record<string, string>, timeoutMs?: number) =>
  checkModelEndpoints({
    groups,
    hostEnv,
    contributions: providerContributions(tempDir('nanoclaw-endpoints-')),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });

async function listen(server: http.Server | net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(resolve);
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('checkModelEndpoints', () => {
  it('asks an endpoint many groups share once, and names them all', async () => {
    const fake = await createFakeChatCompletionsServer({ apiKey: 'sk-good' });
    closers.push(() => fake.close());
    const env = { OPENAI_API_KEY: 'sk-good', OPENAI_BASE_URL: fake.baseUrl };
    const checks = await check([group('main', 'codex'), group('family', 'codex')], env);
    const endpoint = checks.find((c) => c.name === `model endpoint http://127.0.0.1:${fake.port}`);
    expect(endpoint?.status).toBe('ok');
    expect(endpoint?.detail).toMatch(
      / answered 200 in \d+ ms \(with OPENAI_API_KEY\)\nused by codex in main, codex in family$/,
    );
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([
      'GET /v1/models Bearer sk-good',
    ]);
  });

  it('an endpoint that takes the connection but never answers is ✗ after the deadline', async () => {
    const url = await listen(http.createServer(() => {}));
    const checks = await check([group('main', 'codex')], { OPENAI_BASE_URL: `${url}/v1` }, 300);
    expect(checks).toEqual([
      {
        name: `model endpoint ${url}`,
        status: 'fail',
        detail: `cannot reach it: no answer within 0.3 s\nGET ${url}/v1/models\nused by codex in main`,
        hint: 'start it, or fix OPENAI_BASE_URL (in .env, or the group\'s settings "env" in groups/<folder>.container.json)',
        blocking: false,
      },
    ]);
  });

  it('a 404 to the models list is a warning that asks whether the base URL is right', async () => {
    const url = await listen(
      http.createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"no such route"}}');
      }),
    );
    const [endpoint] = await check([group('main', 'codex')], { OPENAI_BASE_URL: url });
    expect(endpoint).toMatchObject({
      status: 'warn',
      detail: `GET ${url}/models answered 404: no such route\nused by codex in main`,
      hint: "is OPENAI_BASE_URL the API's base URL (often ending in /v1)?",
    });
  });

  it("a group's container.json env wins over .env for its own messages; mock and unserved folders are not asked", async () => {
    const fake = await createFakeChatCompletionsServer();
    closers.push(() => fake.close());
    const checks = await check(
      [
        group('lab', 'codex', { OPENAI_BASE_URL: fake.baseUrl }),
        group('main', 'mock'),
        { ...group('stray', 'codex'), served: false },
      ],
      { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' },
    );
    expect(checks.map((c) => [c.name, c.status, c.detail.split('\n').at(-1)])).toEqual([
      [`model endpoint http://127.0.0.1:${fake.port}`, 'ok', 'used by codex in lab'],
    ]);
  });

  it('a runtime that reaches its hosts itself (a ChatGPT login) gets a connection to each', async () => {
    const open = await listen(net.createServer((socket) => socket.end()));
    const closed = await listen(net.createServer());
    await closers.pop()?.(); // nothing listens there any more
    const authority = (url: string) => url.replace('http://', '');
    const login = {
      ...providerContributions(tempDir('nanoclaw-endpoints-')).codex,
      egress: () => ({ routes: [], connectHosts: [authority(open), authority(closed)] }),
    };
    const checks = await checkModelEndpoints({
      groups: [group('main', 'codex')],
      hostEnv: {},
      contributions: { codex: login },
    });
    expect(checks.map((c) => [c.name, c.status, c.detail.split('\n')[0]])).toEqual([
      [
        `model endpoint ${authority(open)}`,
        'ok',
        expect.stringMatching(/^reachable \(a connection in \d+ ms; its own login\)$/),
      ],
      [
        `model endpoint ${authority(closed)}`,
        'fail',
        expect.stringMatching(/^cannot reach it: connect ECONNREFUSED/),
      ],
    ]);
  });
});
