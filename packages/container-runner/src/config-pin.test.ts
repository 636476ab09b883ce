import fs from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import type { ContractAvailability } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMounts, type PlannedMount, SANDBOX_PATHS } from './mounts.js';
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
 * The agent cannot change its own configuration: from inside a real sandbox (docker AND bwrap), every way a
 * program can change the group's container.json fails, for a group that has one and for a group that has none,
 * and the file the host reads afterwards is the one it had.
 */
const CONTROL = 'control: write a sibling file in the group folder';
const USER_CONFIG = '{ "network": "none", "env": { "MODE": "user" } }\n';

interface World {
  root: string;
  fixtures: string;
  groupDir(folder: string): string;
  mounts(folder: string): PlannedMount[];
}

async function makeWorld(): Promise<World> {
  const root = await makeScratchDir('config-pin');
  await fs.mkdir(path.join(root, 'groups'), { mode: 0o755 });
  await makeWritableDir(path.join(root, 'groups'), 'global');
  await makeWritableDir(path.join(root, 'data/sessions/s1/home'), '.codex');
  const fixtures = await copyFixtures(root);
  const groupDir = (folder: string) => path.join(root, 'groups', folder);
  const mounts = (folder: string): PlannedMount[] => [
    ...buildMounts({
      projectRoot: root,
      groupFolder: folder,
      isMain: false,
      sessionId: 's1',
      providerHomeDir: '.codex',
    }),
    { kind: 'app', hostPath: fixtures, containerPath: '/fixtures', readonly: true, within: fixtures },
  ];
  return { root, fixtures, groupDir, mounts };
}

function probeSpec(name: string, mounts: PlannedMount[], image?: string): SandboxSpec {
  return {
    name,
    ...(image ? { image } : {}),
    command: ['/usr/bin/node', '/fixtures/config-probe.cjs'],
    cwd: SANDBOX_PATHS.group,
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin' },
    mounts,
    network: 'none',
    limits: { memoryMb: 256, cpus: 1, pids: 128 },
    labels: { 'nanoclaw.install': 'config-pin-suite' },
    user: { uid: 1000, gid: 1000 },
  };
}

/** What the host would read: the file's text, and that it is still one regular file. */
async function hostView(file: string): Promise<{ text: string; regular: boolean; links: number }> {
  const stat = await fs.lstat(file);
  return { text: await fs.readFile(file, 'utf8'), regular: stat.isFile(), links: stat.nlink };
}

function expectAllBlocked(results: Record<string, string>): void {
  expect(results[CONTROL], 'the group folder itself stays writable').toBe('CHANGED');
  const attempts = Object.entries(results).filter(([name]) => name !== CONTROL);
  expect(attempts.length).toBeGreaterThanOrEqual(13);
  const changed = attempts.filter(([, result]) => !result.startsWith('BLOCKED'));
  expect(changed, JSON.stringify(changed)).toEqual([]);
}

function pinSuite(
  name: string,
  availability: () => Promise<ContractAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: string,
) {
  describe(`container.json is read-only for the agent: ${name}`, () => {
    let world: World;
    let runtime: ContainerRuntime;
    let skip: string | undefined;
    let counter = 0;
    const sandboxName = () => `nc-config-pin-${name}-${process.pid}-${++counter}`;

    beforeAll(async () => {
      skip = await skipReason(`config pin: ${name}`, availability);
      if (skip) return;
      if (image) await ensureTestImage();
      runtime = makeRuntime();
      world = await makeWorld();
    }, 120_000);

    afterAll(async () => {
      if (world) await fs.rm(world.root, { recursive: true, force: true });
    });

    it('keeps an existing container.json as the user wrote it', async (ctx) => {
      if (skip) return ctx.skip();
      const groupDir = await makeWritableDir(path.join(world.root, 'groups'), 'family');
      const file = path.join(groupDir, 'container.json');
      await fs.writeFile(file, USER_CONFIG);
      // Writable for the sandbox uid by its permissions (as the host's chown makes it): only the pin may stop it.
      await fs.chmod(file, 0o666);
      const results = await runJsonProbe<Record<string, string>>(
        runtime,
        probeSpec(sandboxName(), world.mounts('family'), image),
      );
      expectAllBlocked(results);
      expect(results['write it in place']).toBe('BLOCKED: EROFS');
      expect(results['delete it']).toBe('BLOCKED: EBUSY');
      expect(await hostView(file)).toEqual({ text: USER_CONFIG, regular: true, links: 1 });
      expect((await fs.readdir(groupDir)).sort()).toEqual(['container.json']);
    }, 60_000);

    it('gives a group without one the defaults ("{}"), and the agent cannot create its own', async (ctx) => {
      if (skip) return ctx.skip();
      const groupDir = await makeWritableDir(path.join(world.root, 'groups'), 'fresh');
      const file = path.join(groupDir, 'container.json');
      const results = await runJsonProbe<Record<string, string>>(
        runtime,
        probeSpec(sandboxName(), world.mounts('fresh'), image),
      );
      expectAllBlocked(results);
      expect(results['create it exclusively']).toBe('BLOCKED: EEXIST');
      expect(results['rename another file over it']).toBe('BLOCKED: EBUSY');
      expect(await hostView(file)).toEqual({ text: '{}\n', regular: true, links: 1 });
    }, 60_000);
  });
}

pinSuite('bwrap', bwrapAvailability, testBwrapRuntime);
pinSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);

describe('config probe control (no isolation)', () => {
  it('changes the file when nothing pins it, so BLOCKED above means blocked', async () => {
    const world = await makeWorld();
    try {
      const groupDir = await makeWritableDir(path.join(world.root, 'groups'), 'family');
      await fs.writeFile(path.join(groupDir, 'container.json'), USER_CONFIG);
      const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
      const spec = probeSpec(`nc-config-pin-control-${process.pid}`, world.mounts('family'));
      const results = await runJsonProbe<Record<string, string>>(runtime, {
        ...spec,
        command: ['node', path.join(world.fixtures, 'config-probe.cjs')],
        env: { ...spec.env, PROBE_GROUP_DIR: groupDir },
      });
      expect(results['write it in place']).toBe('CHANGED');
      expect(results['delete it']).toBe('CHANGED');
    } finally {
      await fs.rm(world.root, { recursive: true, force: true });
    }
  });
});
