import { isSandboxError, SandboxError } from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage, type RuntimeAvailability } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { AgentPoolError } from '../agent-pool/index.js';
import type { AcquiredSandbox, AcquireRequest, AgentPool } from '../agent-pool/types.js';
import { createLogger } from '../logger.js';
import { type HostRuntime, hostPool, resolveHostRuntime } from './host-runtime.js';

const logger = createLogger({ level: 'silent', format: 'json' });
const request = {
  group: { id: 'g', folder: 'main', isMain: true },
  session: { id: 's' },
  provider: 'mock',
  onAction: async () => ({ ok: true }),
} as unknown as AcquireRequest;

/** A runtime whose `available()` answers what the test says (the engine stopped, came back); nothing else is used. */
function switchableRuntime(): ContainerRuntime & { answer: RuntimeAvailability } {
  const runtime = {
    name: 'docker',
    answer: { ok: true, detail: 'engine 20.10' } as RuntimeAvailability,
    available: async () => runtime.answer,
  };
  return runtime as unknown as ContainerRuntime & { answer: RuntimeAvailability };
}

/** A pool whose acquire fails with `failure` while it is set. */
function poolFailingWith(failure: { error?: unknown }): AgentPool {
  return {
    acquire: async () => {
      if (failure.error) throw failure.error;
      return { spawned: true, resumed: false } as unknown as AcquiredSandbox;
    },
    discard: async () => undefined,
    liveSessions: () => [],
    list: () => [],
    kill: async () => false,
    closeAll: async () => undefined,
  };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the host runtime', () => {
  it('names what was configured and why it is not usable, and points at nanoclaw doctor', async () => {
    const state = await resolveHostRuntime({ config: { NANOCLAW_RUNTIME: 'apple' }, logger });
    expect(state.runtime).toBeUndefined();
    expect(state.status).toMatchObject({ name: null });
    const error = 'error' in state.status ? state.status.error : '';
    expect(error).toMatch(/^the apple sandbox runtime is not usable: /);
    expect(error).toContain('`nanoclaw doctor`');
  });

  it('without a runtime, every acquire fails at once with that status, as a permanent runtime error', async () => {
    const state: HostRuntime = { runtime: undefined, status: { name: null, error: 'no runtime here' } };
    const pool = hostPool(state, () => poolFailingWith({}), logger);
    const error = await rejection(pool.acquire(request));
    expect(isSandboxError(error, 'runtime-unavailable')).toBe(true);
    expect(errorMessage(error)).toBe('no runtime here');
  });

  it('a spawn failing because the runtime stopped being usable says so, and the status follows it back', async () => {
    const runtime = switchableRuntime();
    const state: HostRuntime = { runtime, status: { name: 'docker', detail: 'engine 20.10' } };
    const failure: { error?: unknown } = {
      error: new SandboxError('runtime-failed', 'docker run exited 125'),
    };
    const pool = hostPool(state, () => poolFailingWith(failure), logger);

    runtime.answer = { ok: false, reason: 'docker engine does not answer', hint: 'start the engine' };
    const error = await rejection(pool.acquire(request));
    expect(isSandboxError(error, 'runtime-unavailable')).toBe(true);
    expect(errorMessage(error)).toMatch(
      /^the docker sandbox runtime is not usable: docker engine does not answer \(start the engine\)\n.*nanoclaw doctor/,
    );
    expect(state.status).toEqual({ name: null, error: errorMessage(error) });

    runtime.answer = { ok: true, detail: 'engine 20.10' };
    failure.error = undefined;
    await pool.acquire(request);
    expect(state.status).toEqual({ name: 'docker', detail: 'engine 20.10' });
  });

  it('passes other failures on as they are: the runtime works, or the pool refused', async () => {
    const runtime = switchableRuntime();
    const state: HostRuntime = { runtime, status: { name: 'docker', detail: 'engine 20.10' } };
    const crash = new Error('runner exited before ready');
    expect(
      await rejection(hostPool(state, () => poolFailingWith({ error: crash }), logger).acquire(request)),
    ).toBe(crash);
    runtime.answer = { ok: false, reason: 'gone', hint: '' };
    const refused = new AgentPoolError('unknown-provider', 'no sandbox profile for provider "x"');
    expect(
      await rejection(hostPool(state, () => poolFailingWith({ error: refused }), logger).acquire(request)),
    ).toBe(refused);
    expect(state.status).toEqual({ name: 'docker', detail: 'engine 20.10' });
  });
});
