import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import type { ContractAvailability } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { runJsonProbe } from '../test-utils/run-probe.js';
import {
  bwrapAvailability,
  copyFixtures,
  dockerAvailability,
  ensureTestImage,
  IN_CI,
  makeScratchDir,
  makeWritableDir,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from '../test-utils/sandbox-test-env.js';
import { netnsAvailability, startTestInternet, type TestInternet } from '../test-utils/test-netns.js';
import { createEgressProxy, type EgressRoute } from './egress-proxy.js';
import {
  applyEgressToSpec,
  EGRESS_PLACEHOLDER_SECRET,
  sandboxHostUser,
  startSandboxEgress,
} from './sandbox-egress.js';

const anthropicRoute = (key: string, upstream = 'https://api.anthropic.com'): EgressRoute => ({
  prefix: '/anthropic',
  upstream,
  allowPaths: ['/v1/messages', '/v1/models'],
  setHeaders: { 'x-api-key': key },
  baseUrlEnv: 'ANTHROPIC_BASE_URL',
  secretEnvKeys: ['ANTHROPIC_API_KEY'],
});

const baseSpec = (overrides: Partial<SandboxSpec> = {}): SandboxSpec => ({
  name: 'egress-spec',
  command: ['/usr/bin/node', '/app/main.js'],
  cwd: '/workspace/group',
  env: { HOME: '/home/agent', PATH: '/usr/bin', ANTHROPIC_API_KEY: 'sk-real' },
  mounts: [],
  network: 'full',
  limits: { memoryMb: 256, cpus: 1, pids: 64 },
  labels: {},
  user: { uid: 1000, gid: 1000 },
  ...overrides,
});

describe('applyEgressToSpec', () => {
  const proxy = {
    socketPath: '/h/egress/egress.sock',
    routes: [anthropicRoute('sk-real')],
    stats: { forwarded: 0, proxied: 0, tunnelled: 0, denied: 0, limited: 0, failed: 0 },
    close: async () => {},
  };
  it('takes the network away, mounts the egress dir, swaps the key for a placeholder and preloads the relay', () => {
    const spec = applyEgressToSpec(baseSpec(), { hostDir: '/h/egress', port: 3128, proxy });
    expect(spec.network).toBe('none');
    expect(spec.env.ANTHROPIC_API_KEY).toBe(EGRESS_PLACEHOLDER_SECRET);
    expect(JSON.stringify(spec)).not.toContain('sk-real');
    expect(spec.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3128/anthropic');
    // Every HTTP client in the sandbox goes through the relay, except to its own loopback (the base URLs).
    expect(spec.env).toMatchObject({
      HTTP_PROXY: 'http://127.0.0.1:3128',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      http_proxy: 'http://127.0.0.1:3128',
      https_proxy: 'http://127.0.0.1:3128',
      NO_PROXY: '127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
    expect(spec.env.NANOCLAW_EGRESS_SOCKET).toBe('/run/nanoclaw/egress.sock');
    expect(spec.command).toEqual([
      '/usr/bin/node',
      '--require',
      '/run/nanoclaw/egress-relay.cjs',
      '/app/main.js',
    ]);
    expect(spec.mounts).toEqual([
      expect.objectContaining({ hostPath: '/h/egress', containerPath: '/run/nanoclaw', readonly: true }),
    ]);
  });
  it('wraps a non-node command with the relay as a launcher', () => {
    const spec = applyEgressToSpec(baseSpec({ command: ['/app/agent', '--x'] }), {
      hostDir: '/h/egress',
      port: 3128,
      proxy,
    });
    expect(spec.command).toEqual([
      '/usr/bin/node',
      '/run/nanoclaw/egress-relay.cjs',
      '--',
      '/app/agent',
      '--x',
    ]);
  });
});

/**
 * A request to the proxy's socket from a process running as `uid` (as another local user would send it):
 * `{ status }`, or `{ error }` with the connect error's code.
 */
function requestAs(uid: number, socketPath: string): Promise<{ status?: number; error?: string }> {
  const script = `require('http').request({ socketPath: ${JSON.stringify(socketPath)}, path: '/anthropic/v1/models' }, (res) => {
    res.resume(); console.log(JSON.stringify({ status: res.statusCode }));
  }).on('error', (e) => console.log(JSON.stringify({ error: e.code }))).end();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { uid, gid: uid, cwd: '/', env: {} }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as { status?: number; error?: string });
    });
  });
}

describe('the egress socket is for the sandbox user only', () => {
  const SANDBOX_UID = 1000;
  const OTHER_UID = 65534;
  let root: string;
  let upstream: http.Server;
  let upstreamUrl: string;
  const keys: Array<string | string[] | undefined> = [];

  beforeAll(async () => {
    root = await makeScratchDir('egress-owner');
    upstream = http.createServer((req, res) => {
      keys.push(req.headers['x-api-key']);
      res.end('{}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    upstream.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  const needRoot = (ctx: TestContext) => {
    if (process.getuid?.() === 0) return;
    if (IN_CI) throw new Error('the socket ownership test needs root (it runs clients as other uids)');
    console.warn('[egress socket owner] skipped: needs root to run clients as other uids');
    ctx.skip();
  };

  it('another local uid gets EACCES, the sandbox uid reaches the route (root:<its gid>, directory 0750, socket 0660)', async (ctx) => {
    needRoot(ctx);
    const owner = { uid: SANDBOX_UID, gid: SANDBOX_UID };
    const egress = await startSandboxEgress({
      hostDir: path.join(root, 'egress'),
      routes: [anthropicRoute('sk-owner-key', upstreamUrl)],
      owner,
    });
    try {
      const dir = await fs.stat(egress.hostDir);
      const socket = await fs.stat(egress.proxy.socketPath);
      // The sandbox can enter and connect through its group, but never write into the directory.
      expect([dir.mode & 0o777, dir.uid, dir.gid]).toEqual([0o750, 0, SANDBOX_UID]);
      expect([socket.mode & 0o777, socket.uid, socket.gid]).toEqual([0o660, 0, SANDBOX_UID]);
      expect(await requestAs(OTHER_UID, egress.proxy.socketPath)).toEqual({ error: 'EACCES' });
      expect(keys).toEqual([]);
      expect(await requestAs(SANDBOX_UID, egress.proxy.socketPath)).toEqual({ status: 200 });
      expect(keys).toEqual(['sk-owner-key']);
    } finally {
      await egress.close();
    }
  });

  it('the socket alone (in a directory everyone may enter) refuses another uid too', async (ctx) => {
    needRoot(ctx);
    const proxy = await createEgressProxy({
      socketPath: path.join(root, 'open-dir.sock'),
      routes: [anthropicRoute('sk-owner-key', upstreamUrl)],
      socketOwner: { uid: SANDBOX_UID, gid: SANDBOX_UID },
    });
    try {
      expect(await requestAs(OTHER_UID, proxy.socketPath)).toEqual({ error: 'EACCES' });
      expect(await requestAs(SANDBOX_UID, proxy.socketPath)).toEqual({ status: 200 });
    } finally {
      await proxy.close();
    }
  });

  it('the sandbox uid on the host: the spec user, or the host user under bubblewrap without root', () => {
    const user = { uid: 4321, gid: 4321 };
    expect(sandboxHostUser('docker', user)).toEqual(user);
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    expect(sandboxHostUser('bwrap', user)).toEqual(self.uid === 0 ? user : self);
  });
});

function egressSuite(
  name: string,
  availability: () => Promise<ContractAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: string,
) {
  describe(`network proxy mode through ${name}`, () => {
    let root: string;
    let upstream: http.Server;
    let upstreamPort: number;
    const seen: http.IncomingHttpHeaders[] = [];

    beforeAll(async () => {
      root = await makeScratchDir(`egress-${name}`);
      upstream = http.createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ via: 'host-proxy', url: req.url }));
        });
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      upstreamPort = (upstream.address() as { port: number }).port;
    });
    afterAll(async () => {
      upstream.close();
      await fs.rm(root, { recursive: true, force: true });
    });

    it('the model API is reachable only through the host proxy, which adds the key', async (ctx) => {
      const available = await availability();
      if (!available.ok) {
        if (available.required) throw new Error(`${name} required: ${available.reason}`);
        console.warn(`[egress: ${name}] skipped: ${available.reason}`);
        return ctx.skip();
      }
      if (image) await ensureTestImage();
      const fixtures = await copyFixtures(root);
      const group = await makeWritableDir(root, 'group');
      const egress = await startSandboxEgress({
        hostDir: path.join(root, 'egress'),
        routes: [anthropicRoute('sk-host-only-key', `http://127.0.0.1:${upstreamPort}`)],
        owner: sandboxHostUser(name, baseSpec().user),
      });
      try {
        const spec = applyEgressToSpec(
          baseSpec({
            name: `nc-egress-${name}-${process.pid}`,
            ...(image ? { image } : {}),
            command: ['/usr/bin/node', '/fixtures/egress-client.cjs'],
            env: {
              HOME: '/home/agent',
              PATH: '/usr/bin',
              ANTHROPIC_API_KEY: 'sk-host-only-key',
              PROBE_UPSTREAM_PORT: String(upstreamPort),
            },
            mounts: [
              { hostPath: fixtures, containerPath: '/fixtures', readonly: true },
              { hostPath: group, containerPath: '/workspace/group', readonly: false },
            ],
          }),
          egress,
        );
        expect(JSON.stringify(spec)).not.toContain('sk-host-only-key');
        const result = await runJsonProbe<
          Record<string, { status?: number; body?: string; error?: string }> & { apiKey: string }
        >(makeRuntime(), spec);
        expect(result.viaProxy).toMatchObject({ status: 200 });
        expect(JSON.parse(result.viaProxy?.body ?? '{}')).toEqual({
          via: 'host-proxy',
          url: '/v1/messages?stream=1',
        });
        expect(seen.at(-1)?.['x-api-key']).toBe('sk-host-only-key');
        expect(seen.at(-1)?.authorization).toBeUndefined();
        expect(result.forbiddenPath).toMatchObject({ status: 403 });
        expect(result.direct?.error).toMatch(/ECONNREFUSED|ENETUNREACH/);
        expect(result.apiKey).toBe(EGRESS_PLACEHOLDER_SECRET);
        expect(egress.proxy.stats).toMatchObject({ forwarded: 1, denied: 1 });
      } finally {
        await egress.close();
      }
    }, 60_000);
  });
}

interface ProbeAnswer {
  status?: number;
  body?: string;
  error?: string;
  connected?: boolean;
}
interface InternetProbe {
  env: Record<string, string>;
  public: { http: ProbeAnswer; connect: ProbeAnswer; direct: ProbeAnswer };
  refused: Record<string, { http: ProbeAnswer; connect: ProbeAnswer }>;
}

/**
 * "The internet" for these tests: a network namespace behind a veth pair with a server on 198.51.100.2:80 (see
 * test-netns.ts), plus two host services a sandbox must never reach: one on the host's loopback and one on the
 * host's end of the veth pair (one of the host's own addresses).
 */
let internet: TestInternet | undefined;
let hostServices: http.Server[] = [];
let loopbackPort = 0;
let vethPort = 0;

beforeAll(async () => {
  if (!(await netnsAvailability()).ok) return;
  internet = await startTestInternet();
  const listen = async (host: string) => {
    const server = http.createServer((_req, res) => res.end('a host service'));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    hostServices.push(server);
    return (server.address() as { port: number }).port;
  };
  loopbackPort = await listen('127.0.0.1');
  vethPort = await listen(internet.hostAddress);
}, 30_000);

afterAll(async () => {
  for (const server of hostServices) server.close();
  hostServices = [];
  await internet?.close();
});

function internetSuite(
  name: string,
  availability: () => Promise<ContractAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: string,
) {
  describe(`the internet through the host proxy (${name})`, () => {
    const need = async (ctx: TestContext) => {
      for (const check of [availability, netnsAvailability]) {
        const available = await check();
        if (available.ok) continue;
        if (available.required) throw new Error(`${name} internet test required: ${available.reason}`);
        console.warn(`[egress internet: ${name}] skipped: ${available.reason}`);
        return ctx.skip();
      }
      if (!internet) throw new Error('the test network namespace did not start');
      if (image) await ensureTestImage();
    };

    const probe = async (mode: 'full' | 'none') => {
      const root = await makeScratchDir(`egress-internet-${name}-${mode}`);
      const fixtures = await copyFixtures(root);
      const group = await makeWritableDir(root, 'group');
      const egress = await startSandboxEgress({
        hostDir: path.join(root, 'egress'),
        routes: [],
        internet: mode,
        owner: sandboxHostUser(name, baseSpec().user),
      });
      const refused = [
        `127.0.0.1:${loopbackPort}`,
        `localhost:${loopbackPort}`,
        `${internet?.hostAddress}:${vethPort}`,
        '10.0.0.1:80',
        '169.254.169.254:80',
      ];
      try {
        const spec = applyEgressToSpec(
          baseSpec({
            name: `nc-inet-${name}-${mode}-${process.pid}`,
            ...(image ? { image } : {}),
            command: ['/usr/bin/node', '/fixtures/internet-probe.cjs'],
            env: {
              HOME: '/home/agent',
              PATH: '/usr/bin',
              PROBE_PUBLIC: internet?.publicTarget ?? '',
              PROBE_REFUSED: JSON.stringify(refused),
            },
            mounts: [
              { hostPath: fixtures, containerPath: '/fixtures', readonly: true },
              { hostPath: group, containerPath: '/workspace/group', readonly: false },
            ],
          }),
          egress,
        );
        const result = await runJsonProbe<InternetProbe>(makeRuntime(), spec);
        return { result, stats: { ...egress.proxy.stats }, refused };
      } finally {
        await egress.close();
        await fs.rm(root, { recursive: true, force: true });
      }
    };

    const expectRefused = (result: InternetProbe, refused: string[]) => {
      for (const target of refused) {
        expect(result.refused[target]?.http.status, `http ${target}`).toBe(403);
        expect(result.refused[target]?.connect.status, `CONNECT ${target}`).toBe(403);
      }
    };

    it('full: reaches a public server through HTTP_PROXY and CONNECT; never the host or private ranges', async (ctx) => {
      await need(ctx);
      const { result, stats, refused } = await probe('full');
      expect(result.env).toEqual({
        HTTP_PROXY: 'http://127.0.0.1:3128',
        HTTPS_PROXY: 'http://127.0.0.1:3128',
        NO_PROXY: '127.0.0.1,localhost,::1',
      });
      expect(result.public.http).toEqual({ status: 200, body: 'internet answer for /probe' });
      expect(result.public.connect).toEqual({ status: 200, body: 'internet answer for /tunnelled' });
      // The sandbox has no network of its own: only the proxy gets anywhere.
      expect(result.public.direct.error).toMatch(/ENETUNREACH|EHOSTUNREACH|ECONNREFUSED/);
      expectRefused(result, refused);
      const reason = (target: string) =>
        (JSON.parse(result.refused[target]?.http.body ?? '{}') as { error?: { message?: string } }).error
          ?.message;
      expect(reason(`127.0.0.1:${loopbackPort}`)).toBe(
        '127.0.0.1 is loopback: never reachable from a sandbox',
      );
      expect(reason(`${internet?.hostAddress}:${vethPort}`)).toMatch(/the host's own address/);
      expect(reason('169.254.169.254:80')).toMatch(/link-local/);
      expect(stats).toMatchObject({ proxied: 1, tunnelled: 1, denied: refused.length * 2 });
    }, 60_000);

    it('none: the public server is refused too, naming the policy', async (ctx) => {
      await need(ctx);
      const { result, stats, refused } = await probe('none');
      expect(result.public.http.status).toBe(403);
      expect(result.public.http.body).toMatch(/network \\"none\\"/);
      expect(result.public.connect.status).toBe(403);
      expectRefused(result, refused);
      expect(stats).toMatchObject({ proxied: 0, tunnelled: 0, denied: 2 + refused.length * 2 });
    }, 60_000);
  });
}

egressSuite('bwrap', bwrapAvailability, testBwrapRuntime);
egressSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);
internetSuite('bwrap', bwrapAvailability, testBwrapRuntime);
internetSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);
