import { createProcessRuntime, findHostBinary } from '@nanoclaw/container-runner';
import {
  bwrapAvailability,
  dockerAvailability,
  IN_CI,
  testBwrapRuntime,
  testDockerRuntime,
} from '@nanoclaw/container-runner/test';
import type { ContainerRuntime } from '@nanoclaw/core';
import { createSandboxImages } from '@nanoclaw/sandbox-image';

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

/** The tools the agent-work tests run in the agent's shell (the process runtime takes them from the host). */
const SHELL_TOOLS = ['bash', 'git', 'python3', 'rg'];

/**
 * The runtimes where an agent has a shell with git, python3 and rg: `process` when the host has them, bwrap and
 * docker when the agent userland is built or can be built here (mmdebstrap). Without, the runtime is skipped with
 * the reason; in CI (which installs them) that is a failure.
 */
export function shellRuntimes(): TestRuntime[] {
  return sandboxRuntimes().map((target) => ({
    name: target.name,
    runtime: async () => {
      const runtime = await target.runtime();
      if (!runtime) return undefined;
      const missing = target.name === 'process' ? await missingHostTools() : await missingUserland();
      if (!missing) return runtime;
      if (IN_CI) throw new Error(`${target.name}: agents need a shell here, but ${missing}`);
      console.warn(`[host e2e: ${target.name}] skipped: ${missing}`);
      return undefined;
    },
  }));
}

async function missingHostTools(): Promise<string | undefined> {
  const found = await Promise.all(SHELL_TOOLS.map((tool) => findHostBinary(tool, process.env.PATH)));
  const missing = SHELL_TOOLS.filter((_, i) => !found[i]);
  return missing.length > 0
    ? `the host has no ${missing.join(', ')} (apt-get install ripgrep git python3)`
    : undefined;
}

async function missingUserland(): Promise<string | undefined> {
  const images = createSandboxImages();
  if (await images.findBase()) return undefined;
  const builder = await images.builder();
  return builder.ok ? undefined : `the agent userland cannot be built: ${builder.reason} (${builder.hint})`;
}

/** A runtime of {@link sandboxRuntimes} or {@link shellRuntimes}, resolved: undefined where it is skipped here. */
export interface ResolvedRuntime {
  name: TestRuntime['name'];
  runtime: ContainerRuntime | undefined;
}

/**
 * `runtimes` resolved, for a `describe.skipIf(!target.runtime)` per target; `isolatedOnly` leaves out `process`
 * (no isolation there: the agent is the host user).
 */
export function resolveRuntimes(
  runtimes: TestRuntime[],
  { isolatedOnly = false }: { isolatedOnly?: boolean } = {},
): Promise<ResolvedRuntime[]> {
  return Promise.all(
    runtimes
      .filter((target) => !isolatedOnly || target.name !== 'process')
      .map(async (target) => ({ name: target.name, runtime: await target.runtime() })),
  );
}

/**
 * The runtime a default install picks here (`NANOCLAW_RUNTIME=auto` on Linux: Docker when an engine answers, else
 * bubblewrap), as {@link shellRuntimes} makes it for tests; undefined runtime when neither is usable here.
 */
export async function defaultRuntime(): Promise<ResolvedRuntime> {
  for (const name of ['docker', 'bwrap'] as const) {
    const target = shellRuntimes().find((candidate) => candidate.name === name);
    const runtime = await target?.runtime();
    if (runtime) return { name, runtime };
  }
  return { name: 'bwrap', runtime: undefined };
}
