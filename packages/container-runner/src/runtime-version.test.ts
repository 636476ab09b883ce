import { CONTAINER_RUNTIME_SPEC_VERSION, type ContainerRuntime, NanoclawError } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { isSandboxError, SandboxError } from './errors.js';
import { reapOrphans } from './reaper.js';
import { assertSupportedRuntime } from './runtime-version.js';
import { createProcessRuntime } from './runtimes/process.js';
import { createSandboxConnection } from './sandbox-connection.js';
import { sampleSpec } from './test-utils/spec.js';

/** A third-party runtime built against an older specification. */
function runtimeOfVersion(version: string): ContainerRuntime {
  const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
  return { ...runtime, name: 'process', specificationVersion: version } as unknown as ContainerRuntime;
}

describe('assertSupportedRuntime', () => {
  it('passes a runtime of the supported version through', () => {
    const runtime = runtimeOfVersion(CONTAINER_RUNTIME_SPEC_VERSION);
    expect(assertSupportedRuntime(runtime)).toBe(runtime);
  });

  it("refuses a runtime with specificationVersion 'v0', naming the runtime, its version and the supported one", () => {
    const error = (() => {
      try {
        assertSupportedRuntime(runtimeOfVersion('v0'));
      } catch (e) {
        return e;
      }
    })();
    expect(isSandboxError(error, 'unsupported-runtime-version')).toBe(true);
    expect(NanoclawError.isInstance(error)).toBe(true);
    expect((error as SandboxError).message).toBe(
      `the process runtime implements container runtime specification version "v0", but this version of ` +
        `@nanoclaw/container-runner supports "${CONTAINER_RUNTIME_SPEC_VERSION}" only; update the runtime package ` +
        '(or NanoClaw) so both agree',
    );
  });

  it('is checked before a sandbox is spawned or orphans are listed', async () => {
    const runtime = runtimeOfVersion('v0');
    await expect(createSandboxConnection({ runtime, spec: sampleSpec() })).rejects.toThrow(
      /process runtime implements container runtime specification version "v0"/,
    );
    await expect(reapOrphans({ runtime, installId: 'i', liveSessions: [] })).rejects.toSatisfy((e: unknown) =>
      isSandboxError(e, 'unsupported-runtime-version'),
    );
  });
});

describe('SandboxError', () => {
  it('is a NanoclawError with its code, and still an instance of SandboxError', () => {
    const error = new SandboxError('runtime-failed', 'docker rm failed', { cause: new Error('exit 1') });
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toBeInstanceOf(NanoclawError);
    expect(error).toMatchObject({ name: 'SandboxError', code: 'runtime-failed', retryable: false });
    expect(SandboxError.isInstance(error)).toBe(true);
    expect(SandboxError.isInstance(new NanoclawError('runtime-failed', 'x'))).toBe(false);
  });
});
