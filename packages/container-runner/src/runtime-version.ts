import { CONTAINER_RUNTIME_SPEC_VERSION, type ContainerRuntime } from '@nanoclaw/core';
import { SandboxError } from './errors.js';

/**
 * Refuses a runtime written against another version of the container runtime specification (a third-party runtime
 * built for an older or newer NanoClaw): its methods would be called with arguments it does not expect. Returns the
 * runtime, so a factory can pass it through.
 */
export function assertSupportedRuntime<
  Runtime extends Pick<ContainerRuntime, 'name' | 'specificationVersion'>,
>(runtime: Runtime): Runtime {
  const version: unknown = runtime.specificationVersion;
  if (version === CONTAINER_RUNTIME_SPEC_VERSION) return runtime;
  throw new SandboxError(
    'unsupported-runtime-version',
    `the ${runtime.name} runtime implements container runtime specification version ${JSON.stringify(version)}, ` +
      `but this version of @nanoclaw/container-runner supports "${CONTAINER_RUNTIME_SPEC_VERSION}" only; ` +
      'update the runtime package (or NanoClaw) so both agree',
  );
}
