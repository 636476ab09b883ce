import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ContainerRuntime, SandboxProcess, SandboxSpec } from '@nanoclaw/core';
import { containerConfigSchema } from '@nanoclaw/core';
import { createTempDirs, memoryLogger } from '@nanoclaw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxPlacer } from './sandbox-placement.js';
import { runToolSandbox } from './tool-sandbox.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-tool-sandbox-');
afterEach(cleanupTempDirs);

/** A runtime that records the spec and exits with `code` after printing `output`. */
function recordingRuntime(
  name: string,
  code: number,
  output: string,
): ContainerRuntime & { specs: SandboxSpec[] } {
  const specs: SandboxSpec[] = [];
  const runtime = {
    name,
    specs,
    async spawn(spec: SandboxSpec): Promise<SandboxProcess> {
      specs.push(spec);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const stdin = new PassThrough();
      setImmediate(() => {
        stderr.end(output);
        stdout.end();
      });
      return {
        name: spec.name,
        stdin,
        stdout,
        stderr,
        exited: new Promise((resolve) => setTimeout(() => resolve({ code, signal: null }), 10)),
        kill: async () => undefined,
      };
    },
  };
  return runtime as unknown as ContainerRuntime & { specs: SandboxSpec[] };
}

function placer(placement: { rootfs?: string; image?: string }): SandboxPlacer {
  return { place: async () => ({ ...placement, mounts: [] }) } as unknown as SandboxPlacer;
}

function context(runtime: ContainerRuntime, placement: { rootfs?: string; image?: string }) {
  const groupsDir = path.join(tempDir(), 'groups');
  fs.mkdirSync(path.join(groupsDir, 'family'), { recursive: true });
  return {
    runtime,
    placer: placer(placement),
    user: { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 },
    hostIsRoot: false,
    groupsDir,
    logger: memoryLogger([]),
  };
}

const config = containerConfigSchema.parse({});
const request = { group: { id: 'g1', folder: 'family' }, command: ['ffmpeg', '-version'], timeoutMs: 5_000 };

describe('runToolSandbox', () => {
  it('runs the command on the group’s userland with only its folder, no network and no host env', async () => {
    const runtime = recordingRuntime('bwrap', 0, 'ffmpeg version 5.1');
    const ctx = context(runtime, { rootfs: '/var/cache/userland/tree' });
    const result = await runToolSandbox(ctx, config, request);
    expect(result).toEqual({ code: 0, output: 'ffmpeg version 5.1', timedOut: false });
    const [spec] = runtime.specs;
    expect(spec).toMatchObject({
      rootfs: '/var/cache/userland/tree',
      command: ['ffmpeg', '-version'],
      cwd: '/workspace/group',
      network: 'none',
      mounts: [
        {
          hostPath: fs.realpathSync(path.join(ctx.groupsDir, 'family')),
          containerPath: '/workspace/group',
          readonly: false,
        },
      ],
    });
    expect(Object.keys(spec?.env ?? {}).sort()).toEqual(['HOME', 'LANG', 'PATH']);
    expect(spec?.labels).toEqual({ 'nanoclaw.tool': 'family' });
  });

  it('docker runs it in the group’s image', async () => {
    const runtime = recordingRuntime('docker', 0, '');
    await runToolSandbox(context(runtime, { image: 'nanoclaw/agent-runner:u-1' }), config, request);
    expect(runtime.specs[0]?.image).toBe('nanoclaw/agent-runner:u-1');
  });

  it('refuses when there is no userland to run it on, or no sandbox at all', async () => {
    await expect(
      runToolSandbox(context(recordingRuntime('bwrap', 0, ''), {}), config, request),
    ).rejects.toThrow('the agent userland is not ready');
    await expect(
      runToolSandbox(context(recordingRuntime('process', 0, ''), { rootfs: '/x' }), config, request),
    ).rejects.toThrow('the process runtime has no sandbox to run a tool in');
  });
});
