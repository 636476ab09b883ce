import fs from 'node:fs';
import type { ContainerRuntime, SandboxProcess, SandboxSpec } from '@nanoclaw/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bwrapAvailability,
  dockerAvailability,
  ensureTestImage,
  skipReason,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from '../test-utils/sandbox-test-env.js';
import { createProcessRuntime } from './process.js';
import { spawnLauncher } from './sandbox-process.js';

/** pid, parent, process group and session of a live process (Linux /proc). */
function procStat(pid: number): { pid: number; ppid: number; pgrp: number; session: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, ppid, pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
}

/** This process's direct children now. */
function children(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        return procStat(Number(entry)).ppid === process.pid ? [Number(entry)] : [];
      } catch {
        return [];
      }
    });
}

/** A command that runs until its stdin ends, saying "ready" first and "got SIGINT" on a SIGINT. */
const WAITER = [
  '/usr/bin/node',
  '-e',
  "process.on('SIGINT',()=>process.stdout.write('got SIGINT\\n'));process.stdin.on('end',()=>process.exit(4));process.stdin.resume();process.stdout.write('ready\\n')",
];

function waiterSpec(name: string, image?: string): SandboxSpec {
  return {
    name: `${name}-${process.pid}`,
    ...(image ? { image } : {}),
    command: WAITER,
    cwd: '/',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin' },
    mounts: [],
    network: 'none',
    limits: { memoryMb: 256, cpus: 1, pids: 64 },
    labels: { 'nanoclaw.install': 'launcher-test' },
    user: { uid: 1000, gid: 1000 },
  };
}

/** Everything the sandbox printed so far. */
function output(proc: SandboxProcess): () => string {
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return () => text;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const open: SandboxProcess[] = [];
afterAll(async () => {
  await Promise.allSettled(open.map((proc) => proc.kill()));
});

describe('spawnLauncher', () => {
  it('starts the launcher as the leader of a session and process group of its own', async () => {
    const child = spawnLauncher(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const own = procStat(process.pid);
      const launched = procStat(child.pid ?? 0);
      expect(launched).toMatchObject({ ppid: process.pid, pgrp: child.pid, session: child.pid });
      expect(launched.session).not.toBe(own.session);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/**
 * Every runtime starts its sandboxes outside the host's process group and session, so a terminal's Ctrl-C (SIGINT
 * to the host's foreground group) never reaches them.
 */
function outsideTheHostsGroup(
  name: string,
  runtime: () => ContainerRuntime,
  availability?: () => Promise<{ ok: true } | { ok: false; reason: string; required: boolean }>,
  image?: string,
) {
  it(`${name}: the sandbox's launcher runs in a session of its own`, async (ctx) => {
    if (availability && (await skipReason(`launcher session: ${name}`, availability))) return ctx.skip();
    if (image) await ensureTestImage();
    const before = new Set(children());
    const proc = await runtime().spawn(waiterSpec(`nc-launcher-${name}`, image));
    open.push(proc);
    const printed = output(proc);
    await until(() => printed().includes('ready'), 30_000, 'the sandbox ready');
    const launchers = children().filter((pid) => !before.has(pid));
    expect(launchers.length).toBeGreaterThan(0);
    const own = procStat(process.pid);
    for (const pid of launchers) {
      const stat = procStat(pid);
      expect(stat).toMatchObject({ pgrp: pid, session: pid });
      expect(stat.pgrp).not.toBe(own.pgrp);
    }
    proc.stdin.end();
    expect((await proc.exited).code).toBe(4);
  }, 60_000);
}

describe('sandboxes run outside the host process group', () => {
  outsideTheHostsGroup('process', () => createProcessRuntime({ unsafeAllowNoIsolation: true }));
  outsideTheHostsGroup('bwrap', testBwrapRuntime, bwrapAvailability);
  outsideTheHostsGroup('docker', testDockerRuntime, dockerAvailability, TEST_IMAGE);

  it('docker: a SIGINT to the client is not passed to the container, and the client still exits with it', async (ctx) => {
    if (await skipReason('docker sig-proxy', dockerAvailability)) return ctx.skip();
    await ensureTestImage();
    const before = new Set(children());
    const proc = await testDockerRuntime().spawn(waiterSpec('nc-sigproxy', TEST_IMAGE));
    open.push(proc);
    const printed = output(proc);
    await until(() => printed().includes('ready'), 30_000, 'the container ready');
    const [client] = children().filter((pid) => !before.has(pid));
    process.kill(client ?? 0, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(printed()).not.toContain('got SIGINT');
    proc.stdin.end();
    expect(await proc.exited).toEqual({ code: 4, signal: null });
  }, 60_000);
});
