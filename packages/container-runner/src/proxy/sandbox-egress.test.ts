import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import type { ContractAvailability } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bwrapAvailability,
  copyFixtures,
  dockerAvailability,
  ensureTestImage,
  makeScratchDir,
  makeWritableDir,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from '../test-utils/sandbox-test-env.js';
import { anthropicEgressRoute } from './egress-proxy.js';
import { applyEgressToSpec, EGRESS_PLACEHOLDER_SECRET, startSandboxEgress } from './sandbox-egress.js';

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
    routes: [anthropicEgressRoute('sk-real')],
    stats: { forwarded: 0, denied: 0, failed: 0 },
    close: async () => {},
  };
  it('takes the network away, mounts the egress dir, swaps the key for a placeholder and preloads the relay', () => {
    const spec = applyEgressToSpec(baseSpec(), { hostDir: '/h/egress', port: 3128, proxy });
    expect(spec.network).toBe('none');
    expect(spec.env.ANTHROPIC_API_KEY).toBe(EGRESS_PLACEHOLDER_SECRET);
    expect(JSON.stringify(spec)).not.toContain('sk-real');
    expect(spec.env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:3128/anthropic');
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
        routes: [anthropicEgressRoute('sk-host-only-key', `http://127.0.0.1:${upstreamPort}`)],
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
        const proc = await makeRuntime().spawn(spec);
        proc.stdin.end();
        let out = '';
        let err = '';
        proc.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
        });
        proc.stderr.setEncoding('utf8').on('data', (c: string) => {
          err += c;
        });
        await proc.exited;
        const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<
          string,
          { status?: number; body?: string; error?: string }
        > & { apiKey: string };
        expect(result.viaProxy, err).toMatchObject({ status: 200 });
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

egressSuite('bwrap', bwrapAvailability, testBwrapRuntime);
egressSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);
