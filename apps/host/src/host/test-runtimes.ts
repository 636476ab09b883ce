import { createProcessRuntime } from '@nanoclaw/container-runner';
import {
  bwrapAvailability,
  dockerAvailability,
  testBwrapRuntime,
  testDockerRuntime,
} from '@nanoclaw/container-runner/test';
import type { ContainerRuntime } from '@nanoclaw/core';

export interface TestRuntime {
  name: 'process' | 'bwrap' | 'docker';
  /** The runtime, or undefined to skip (reason printed); throws when it is required (CI) but missing. */
  runtime: () => Promise<ContainerRuntime | undefined>;
}

/** Every runtime end-to-end tests run against: process always, bwrap and docker where they work (all in CI). */
export function sandboxRuntimes(): TestRuntime[] {
  return [
    { name: 'process', runtime: async () => createProcessRuntime({ unsafeAllowNoIsolation: true }) },
    { name: 'bwrap', runtime: () => gated('bwrap', bwrapAvailability, testBwrapRuntime) },
    { name: 'docker', runtime: () => gated('docker', dockerAvailability, testDockerRuntime) },
  ];
}

async function gated(
  name: string,
  availability: () => Promise<{ ok: true } | { ok: false; reason: string; required: boolean }>,
  make: () => ContainerRuntime,
): Promise<ContainerRuntime | undefined> {
  const available = await availability();
  if (available.ok) return make();
  if (available.required) throw new Error(`${name} is required here but unavailable: ${available.reason}`);
  console.warn(`[host e2e: ${name}] skipped: ${available.reason}`);
  return undefined;
}
