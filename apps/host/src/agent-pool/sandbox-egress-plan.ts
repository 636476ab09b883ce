import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  applyEgressToSpec,
  type EgressRoute,
  type SandboxEgress,
  sandboxHostUser,
  startSandboxEgress,
} from '@nanoclaw/container-runner';
import {
  describeHeaderSource,
  type EgressHeaderSource,
  type Logger,
  type NetworkMode,
  type ProviderEgress,
  type ProviderEgressException,
  type ProviderEgressRoute,
  type SandboxSpec,
} from '@nanoclaw/core';
import type { ProviderSandboxProfile } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether a sandbox's traffic goes through the host's egress proxy: on every isolated runtime in every network
 * mode (bwrap, docker). Apple Container's `full` is the VM's own network (it never reaches the host's
 * loopback); its `none`/`proxy` use the proxy. The process runtime runs on the host: nothing to route.
 */
export function usesEgressProxy(runtime: string, network: NetworkMode): boolean {
  if (runtime === 'process') return false;
  if (runtime === 'apple') return network !== 'full';
  return true;
}

/** What the host proxy of one sandbox does, from the provider's `egress` declaration (pure apart from file reads). */
export interface SandboxEgressPlan {
  /** `full` (container.json's default): public internet for the agent's tools; `none` and `proxy`: routes only. */
  internet: 'full' | 'none';
  /** The provider's routes with their header values read on the host. */
  routes: EgressRoute[];
  connectHosts: string[];
  exceptions: ProviderEgressException[];
  /** Credentials (the provider's `credentialEnvKeys`) no route or exception names: not passed in at all. */
  withheld: string[];
}

export interface PlanSandboxEgressOptions {
  profile: Pick<ProviderSandboxProfile, 'credentialEnvKeys' | 'egress'>;
  /** The sandbox env as built from the allowlists (real values). */
  env: Readonly<Record<string, string>>;
  /** The host's env (config), where the provider finds its host logins. */
  hostEnv: Env;
  network: NetworkMode;
}

export function planSandboxEgress(options: PlanSandboxEgressOptions): SandboxEgressPlan {
  const { view, declared } = declaredEgress(options.profile, options.env, options.hostEnv);
  const routes = declared.routes.map((route) => resolveEgressRoute(route, view));
  const exceptions = [...(declared.exceptions ?? [])];
  const passed = new Set([
    ...routes.flatMap((route) => route.secretEnvKeys ?? []),
    ...exceptions.flatMap((exception) => exception.envKeys ?? []),
  ]);
  // The provider says which keys are credentials; a name (e.g. CODEX_COMPACT_THRESHOLD_TOKENS) decides nothing.
  const withheld = options.profile.credentialEnvKeys.filter(
    (key) => options.env[key] !== undefined && !passed.has(key),
  );
  return {
    internet: options.network === 'full' ? 'full' : 'none',
    routes,
    connectHosts: [...(declared.connectHosts ?? [])],
    exceptions,
    withheld,
  };
}

/**
 * What the provider declares for a sandbox env: its `egress` read from that env over the host's (where it finds
 * host logins), and that merged view, which header values are read from.
 */
export function declaredEgress(
  profile: Pick<ProviderSandboxProfile, 'egress'>,
  env: Readonly<Record<string, string>>,
  hostEnv: Env,
): { view: Env; declared: ProviderEgress } {
  const view: Env = { ...hostEnv, ...env };
  return { view, declared: profile.egress?.(view) ?? { routes: [] } };
}

/** A declared route with its header values read on the host; throws naming a header whose source is unset. */
export function resolveEgressRoute(route: ProviderEgressRoute, view: Env): EgressRoute {
  return {
    ...route,
    setHeaders: Object.fromEntries(
      Object.entries(route.setHeaders ?? {}).map(([name, source]) => [name, headerValue(source, view, name)]),
    ),
  };
}

/** A header's value: the env key's value, or a JSON file's string field, after its prefix. */
function headerValue(source: EgressHeaderSource, env: Env, header: string): string {
  const value = 'env' in source ? env[source.env]?.trim() : readJsonField(source.file, source.jsonKey);
  if (!value) throw new Error(`egress header ${header}: ${describeHeaderSource(source)} is not set`);
  return `${source.prefix ?? ''}${value}`;
}

/** A string at `key` (a top-level key, or the path of keys to a nested one) of a JSON file. */
function readJsonField(file: string, key: string | readonly string[]): string | undefined {
  try {
    let value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    for (const part of typeof key === 'string' ? [key] : key) {
      value =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    }
    return typeof value === 'string' ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}

export interface StartedSandboxEgress {
  /** The spec with the network taken away, the proxy mounted and the env rewritten. */
  spec: SandboxSpec;
  plan: SandboxEgressPlan;
  egress: SandboxEgress;
  /** Stops the proxy and removes its socket directory (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts the host proxy for one sandbox (socket dir under `egressDir`, default the OS temp dir: socket paths
 * stay short) and returns the spec that uses it: withheld secrets removed, routed ones as placeholders. The
 * socket and its directory are shared only with the uid the sandbox runs as on the host (`spec.user`, as
 * `runtime` maps it): no other local user can use the proxy's credentials.
 */
export async function startPlannedEgress(options: {
  spec: SandboxSpec;
  plan: SandboxEgressPlan;
  /** The runtime's name (`bwrap`, `docker`, ...): how `spec.user` appears on the host. */
  runtime: string;
  egressDir?: string;
  logger: Logger;
}): Promise<StartedSandboxEgress> {
  const { plan, logger } = options;
  if (plan.withheld.length > 0) {
    logger.info(
      { keys: plan.withheld },
      'allowlisted secrets without an egress route stay on the host (not passed into the sandbox)',
    );
  }
  for (const exception of plan.exceptions) {
    logger.info(
      { credential: exception.credential, reason: exception.reason },
      'credential readable in the sandbox',
    );
  }
  const dir = await fs.mkdtemp(path.join(options.egressDir ?? os.tmpdir(), 'nanoclaw-egress-'));
  let egress: SandboxEgress;
  try {
    egress = await startSandboxEgress({
      hostDir: dir,
      routes: plan.routes,
      internet: plan.internet,
      connectHosts: plan.connectHosts,
      owner: sandboxHostUser(options.runtime, options.spec.user),
      logger,
    });
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await egress.close().catch(() => {});
      await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    })();
    return stopped;
  };
  const env = { ...options.spec.env };
  for (const key of plan.withheld) delete env[key];
  return { spec: applyEgressToSpec({ ...options.spec, env }, egress), plan, egress, stop };
}
