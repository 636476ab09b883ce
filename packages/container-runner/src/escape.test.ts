import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type ContainerRuntime, errorMessage, type SandboxMount, type SandboxSpec } from '@nanoclaw/core';
import type { ContractAvailability } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSandboxError } from './errors.js';
import { readGroupFile } from './group-files.js';
import {
  buildMounts,
  findShadowTargets,
  type PlannedMount,
  prepareShadowSources,
  SANDBOX_PATHS,
} from './mounts.js';
import { createProcessRuntime } from './runtimes/process.js';
import { runJsonProbe } from './test-utils/run-probe.js';
import {
  bwrapAvailability,
  copyFixtures,
  dockerAvailability,
  ensureTestImage,
  makeScratchDir,
  makeWritableDir,
  skipReason,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from './test-utils/sandbox-test-env.js';

/**
 * Escape attempts, each of which must fail, run inside docker AND bwrap. The sandbox gets what a real group
 * gets (buildMounts for the main group: project read-only with .env and data shadowed), and the attacker knows
 * the host's paths, a loopback port, and the name of a secret in the host's env.
 */
const SECRET_VALUE = `sk-escape-${process.pid}-host-only`;

interface World {
  root: string;
  projectRoot: string;
  groupDir: string;
  secretDir: string;
  secretFile: string;
  fixtures: string;
  mounts: PlannedMount[];
  port: number;
  server: net.Server;
}

async function makeWorld(): Promise<World> {
  const root = await makeScratchDir('escape');
  const projectRoot = path.join(root, 'project');
  await fs.mkdir(projectRoot, { mode: 0o755 });
  await fs.chmod(projectRoot, 0o755);
  await fs.writeFile(path.join(projectRoot, '.env'), `ANTHROPIC_API_KEY=${SECRET_VALUE}\n`, { mode: 0o644 });
  await fs.mkdir(path.join(projectRoot, 'groups'), { mode: 0o755 });
  const groupDir = await makeWritableDir(path.join(projectRoot, 'groups'), 'main');
  const globalDir = await makeWritableDir(path.join(projectRoot, 'groups'), 'global');
  await fs.writeFile(path.join(globalDir, 'memory.md'), 'shared\n');
  await makeWritableDir(path.join(projectRoot, 'data/sessions/s1/home'), '.codex');
  await fs.mkdir(path.join(projectRoot, 'data/sessions/other/home/.codex'), { recursive: true });
  await fs.writeFile(
    path.join(projectRoot, 'data/sessions/other/home/.codex/auth.json'),
    `{"key":"${SECRET_VALUE}"}`,
  );
  await fs.chmod(path.join(projectRoot, 'data'), 0o755);
  await makeWritableDir(groupDir, 'sub');
  const secretDir = path.join(root, 'host-secret');
  await fs.mkdir(secretDir, { mode: 0o755 });
  const secretFile = path.join(secretDir, 'secret.txt');
  // World-readable on purpose: isolation, not file permissions, must keep it out.
  await fs.writeFile(secretFile, `${SECRET_VALUE}\n`, { mode: 0o644 });
  await fs.symlink('/etc/shadow', path.join(groupDir, 'link-shadow'));
  await fs.symlink(secretFile, path.join(groupDir, 'link-secret'));
  await fs.symlink('/root', path.join(groupDir, 'link-root'));
  await fs.symlink('../../../host-secret/secret.txt', path.join(groupDir, 'link-relative'));
  const fixtures = await copyFixtures(root);
  const shadowSources = await prepareShadowSources(path.join(root, 'shadow'));
  const mounts = buildMounts({
    projectRoot,
    groupFolder: 'main',
    isMain: true,
    sessionId: 's1',
    providerHomeDir: '.codex',
    shadow: { targets: await findShadowTargets(projectRoot), ...shadowSources },
  });
  mounts.push({
    kind: 'app',
    hostPath: fixtures,
    containerPath: '/fixtures',
    readonly: true,
    within: fixtures,
  });
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end('host service\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { root, projectRoot, groupDir, secretDir, secretFile, fixtures, mounts, port, server };
}

function probeSpec(
  world: World,
  name: string,
  image: string | undefined,
  extraEnv: Record<string, string> = {},
  mounts?: SandboxMount[],
): SandboxSpec {
  return {
    name,
    ...(image ? { image } : {}),
    command: ['/usr/bin/node', '/fixtures/escape-probe.cjs'],
    cwd: SANDBOX_PATHS.group,
    env: {
      HOME: '/home/agent',
      PATH: '/usr/bin:/bin',
      PROBE_SECRET_FILE: world.secretFile,
      PROBE_SECRET_DIR: world.secretDir,
      PROBE_HOST_PORT: String(world.port),
      PROBE_HOST_ROOT: world.root,
      ...extraEnv,
    },
    mounts: mounts ?? world.mounts,
    network: 'none',
    limits: { memoryMb: 256, cpus: 1, pids: 128 },
    labels: { 'nanoclaw.install': 'escape-suite' },
    user: { uid: 1000, gid: 1000 },
  };
}

const runProbe = (runtime: ContainerRuntime, spec: SandboxSpec) =>
  runJsonProbe<Record<string, string>>(runtime, spec);

function escapeSuite(
  name: string,
  availability: () => Promise<ContractAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: string,
) {
  describe(`escape attempts: ${name}`, () => {
    let world: World;
    let runtime: ContainerRuntime;
    let skip: string | undefined;
    const outcomes: Array<[string, string]> = [];
    let counter = 0;
    const sandboxName = () => `nc-escape-${name}-${process.pid}-${++counter}`;

    beforeAll(async () => {
      skip = await skipReason(`escape attempts: ${name}`, availability);
      if (skip) return;
      if (image) await ensureTestImage();
      runtime = makeRuntime();
      world = await makeWorld();
      process.env.NANOCLAW_ESCAPE_HOST_SECRET = SECRET_VALUE;
    }, 120_000);

    afterAll(async () => {
      delete process.env.NANOCLAW_ESCAPE_HOST_SECRET;
      if (!world) return;
      world.server.close();
      await fs.rm(world.root, { recursive: true, force: true });
      const blocked = outcomes.filter(([, r]) => r.startsWith('BLOCKED')).length;
      console.log(`[escape attempts: ${name}] ${outcomes.length} attempts, ${blocked} blocked`);
      for (const [attempt, result] of outcomes)
        console.log(`  ${result.startsWith('BLOCKED') ? 'ok  ' : 'FAIL'} ${attempt}: ${result}`);
    });

    it('blocks every attempt from inside the sandbox', async (ctx) => {
      if (skip) return ctx.skip();
      const results = await runProbe(runtime, probeSpec(world, sandboxName(), image));
      expect(results.crashed).toBeUndefined();
      for (const entry of Object.entries(results)) outcomes.push(entry);
      expect(Object.keys(results).length).toBeGreaterThanOrEqual(20);
      const leaks = Object.entries(results).filter(([, r]) => !r.startsWith('BLOCKED'));
      expect(leaks, JSON.stringify(leaks)).toEqual([]);
      // The project .env is shadowed by an empty file, not just unreadable.
      expect(await fs.readFile(path.join(world.projectRoot, '.env'), 'utf8')).toContain(SECRET_VALUE);
    }, 60_000);

    it('refuses the bind-source symlink swap between two runs, and host reads of agent-made links', async (ctx) => {
      if (skip) return ctx.skip();
      // Run 1: the agent swaps groups/main/sub for a symlink to the host's secret dir.
      const planted = await runProbe(
        runtime,
        probeSpec(world, sandboxName(), image, { PROBE_MODE: 'plant' }),
      );
      expect(planted).toEqual({ planted: true });
      expect((await fs.lstat(path.join(world.groupDir, 'sub'))).isSymbolicLink()).toBe(true);

      // Run 2, variant A: the host binds groups/main/sub next to the rw group folder.
      const sub: PlannedMount = {
        kind: 'extra',
        hostPath: path.join(world.groupDir, 'sub'),
        containerPath: '/workspace/sub',
        readonly: true,
        // A broad root, so only the "inside a sandbox-writable folder" rule can catch it.
        within: world.root,
      };
      const withGroup = probeSpec(world, sandboxName(), image, { PROBE_MODE: 'read-sub' }, [
        ...world.mounts,
        sub,
      ]);
      const refusedA = await runtime.spawn(withGroup).then(
        async (proc) => {
          await proc.kill();
          return 'LEAK: spawned';
        },
        (error: unknown) =>
          isSandboxError(error, 'mount-refused')
            ? `BLOCKED: ${errorMessage(error)}`
            : `LEAK? ${String(error)}`,
      );
      outcomes.push(['bind a source inside the rw group folder after a symlink swap', refusedA]);
      expect(refusedA).toMatch(/^BLOCKED: .*sandbox-writable/);

      // Variant B: only the swapped path, without the group folder: its realpath left the group folder.
      const alone = probeSpec(world, sandboxName(), image, { PROBE_MODE: 'read-sub' }, [
        world.mounts.find((m) => m.containerPath === '/fixtures') as PlannedMount,
        { ...sub, within: world.groupDir },
      ]);
      const refusedB = await runtime.spawn(alone).then(
        async (proc) => {
          await proc.kill();
          return 'LEAK: spawned';
        },
        (error: unknown) =>
          isSandboxError(error, 'mount-refused')
            ? `BLOCKED: ${errorMessage(error)}`
            : `LEAK? ${String(error)}`,
      );
      outcomes.push(['bind a swapped symlink whose target left its root', refusedB]);
      expect(refusedB).toMatch(/^BLOCKED: .*outside/);

      // The host reading what the agent wrote never follows its links.
      const hostRead = await readGroupFile(world.groupDir, 'evil-link').then(
        (buffer) => `LEAK: ${buffer.toString('utf8')}`,
        (error: unknown) =>
          isSandboxError(error, 'unsafe-path') ? `BLOCKED: ${errorMessage(error)}` : `LEAK? ${String(error)}`,
      );
      outcomes.push(['host reads an agent-made symlink in the group folder', hostRead]);
      expect(hostRead).toMatch(/^BLOCKED/);
      const hostReadDir = await readGroupFile(world.groupDir, 'sub/secret.txt').then(
        (buffer) => `LEAK: ${buffer.toString('utf8')}`,
        (error: unknown) =>
          isSandboxError(error, 'unsafe-path') ? `BLOCKED: ${errorMessage(error)}` : `LEAK? ${String(error)}`,
      );
      outcomes.push(['host reads through an agent-made directory symlink', hostReadDir]);
      expect(hostReadDir).toMatch(/^BLOCKED/);
    }, 60_000);
  });
}

describe('escape probe control (no isolation)', () => {
  it('detects leaks when nothing isolates it, so BLOCKED above means blocked', async () => {
    const world = await makeWorld();
    try {
      process.env.NANOCLAW_ESCAPE_HOST_SECRET = SECRET_VALUE;
      const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
      const results = await runProbe(
        runtime,
        probeSpec(world, `nc-escape-control-${process.pid}`, undefined, { PROBE_SKIP_OUTSIDE: '1' }),
      );
      const leaked = Object.entries(results)
        .filter(([, r]) => r.startsWith('LEAK'))
        .map(([k]) => k);
      expect(leaked).toEqual(
        expect.arrayContaining([
          'read host secret by absolute path',
          'list host secret dir by absolute path',
          'reach host loopback TCP port',
          'see host processes',
        ]),
      );
    } finally {
      delete process.env.NANOCLAW_ESCAPE_HOST_SECRET;
      world.server.close();
      await fs.rm(world.root, { recursive: true, force: true });
    }
  }, 30_000);
});

escapeSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);
escapeSuite('bwrap', bwrapAvailability, testBwrapRuntime);
