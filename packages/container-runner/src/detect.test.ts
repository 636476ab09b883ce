import { errorMessage } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { createRuntime, detectRuntime } from './detect.js';
import { isSandboxError } from './errors.js';
import { BWRAP_CACHE_DIR, dockerAvailability, dockerHostEnv } from './test-utils/sandbox-test-env.js';

describe('detectRuntime', () => {
  it('says how to install a runtime when none is usable (and never falls back to no isolation)', async () => {
    const error = await detectRuntime({
      platform: 'linux',
      docker: { binary: '/nonexistent/docker' },
      bwrap: { hostPath: '/nonexistent' },
    }).catch((e: unknown) => e);
    expect(isSandboxError(error, 'runtime-unavailable')).toBe(true);
    expect(errorMessage(error)).toMatch(/apt-get install docker.io.*bubblewrap/);
    expect(errorMessage(error)).toMatch(/- docker: .*\n- bwrap: /);
  });

  it('prefers docker when an engine answers', async (ctx) => {
    const availability = await dockerAvailability();
    if (!availability.ok) {
      if (availability.required) throw new Error(availability.reason);
      return ctx.skip();
    }
    const detected = await detectRuntime({ docker: { hostEnv: dockerHostEnv() } });
    expect(detected.runtime.name).toBe('docker');
    expect(detected.detail).toMatch(/engine/);
  });

  it('falls through to bwrap when docker does not answer', async () => {
    const detected = await detectRuntime({
      platform: 'linux',
      docker: { binary: '/nonexistent/docker' },
      bwrap: { cacheDir: BWRAP_CACHE_DIR },
    }).catch((e: unknown) => e);
    if (isSandboxError(detected)) return; // no bwrap here either: covered by the first test
    const { runtime, skipped } = detected as Awaited<ReturnType<typeof detectRuntime>>;
    expect(runtime.name).toBe('bwrap');
    expect(skipped.map((s) => s.name)).toEqual(['docker']);
  });

  it('creates runtimes by name; process still needs the explicit opt-in', async () => {
    expect((await createRuntime('docker')).name).toBe('docker');
    expect((await createRuntime('apple')).name).toBe('apple');
    expect((await createRuntime('bwrap')).name).toBe('bwrap');
    await expect(createRuntime('process')).rejects.toThrow(/unsafeAllowNoIsolation/);
    expect((await createRuntime('process', { process: { unsafeAllowNoIsolation: true } })).name).toBe(
      'process',
    );
  });
});
