import path from 'node:path';
import { defaultSandboxUser, type SandboxOwner } from '@nanoclaw/container-runner';
import type { SandboxImagesStatus } from '@nanoclaw/sandbox-image';
import { ConfigError, configAsEnv, type HostConfig } from '../../config.js';
import { readApiToken } from '../../http/api-token.js';
import { hostBaseUrl } from '../cli-context.js';
import { checkCredentials, providerContributions } from './credential-checks.js';
import { type DoctorCheck, fail, ok } from './doctor-check.js';
import { readDoctorGroups } from './doctor-groups.js';
import { checkModelEndpoints } from './endpoint-checks.js';
import { checkFolderAccess } from './folder-access-check.js';
import { checkHttpPort } from './port-check.js';
import {
  checkApiToken,
  checkDatabase,
  checkMountAllowlist,
  checkNode,
  type RuntimeProbe,
  runtimeCheck,
} from './system-checks.js';
import { checkTranscription } from './transcription-check.js';
import { userlandCheck } from './userland-check.js';

export interface DoctorOptions {
  loadConfig: () => HostConfig;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  fetch: typeof fetch;
  probeRuntime: (name: HostConfig['NANOCLAW_RUNTIME']) => Promise<RuntimeProbe>;
  /** What the agent userland cache holds and whether it can be built. */
  userlandStatus: (config: HostConfig) => Promise<SandboxImagesStatus>;
  nodeVersion?: string;
  /** How long each model endpoint may take to answer (default 5 s). */
  endpointTimeoutMs?: number;
  /** The uid:gid sandboxes run as (default: the agent pool's). */
  sandboxUser?: SandboxOwner;
}

/** Every check, in order; needs no running host. A configuration that does not load ends the list. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [checkNode(options.nodeVersion ?? process.versions.node)];
  let config: HostConfig;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push(fail('config', error.message, 'fix the keys named above in .env or the environment', true));
    return checks;
  }
  checks.push(ok('config', `data in ${config.NANOCLAW_DATA_DIR}, groups in ${config.NANOCLAW_GROUPS_DIR}`));
  const runtime = await options.probeRuntime(config.NANOCLAW_RUNTIME);
  checks.push(runtimeCheck(config.NANOCLAW_RUNTIME, runtime));
  checks.push(
    userlandCheck(
      runtime,
      await options
        .userlandStatus(config)
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    ),
  );
  const groups = await readDoctorGroups(config, options.homeDir);
  checks.push(
    ...checkCredentials({
      config,
      env: options.env,
      homeDir: options.homeDir,
      ...(runtime.ok ? { runtime: runtime.name } : {}),
      groups,
    }),
  );
  checks.push(
    ...(await checkModelEndpoints({
      groups: groups.groups,
      hostEnv: configAsEnv(config),
      contributions: providerContributions(options.homeDir),
      ...(options.endpointTimeoutMs === undefined ? {} : { timeoutMs: options.endpointTimeoutMs }),
    })),
  );
  checks.push(
    await checkTranscription({
      config,
      fetch: options.fetch,
      ...(options.endpointTimeoutMs === undefined ? {} : { timeoutMs: options.endpointTimeoutMs }),
    }),
  );
  const access = await checkFolderAccess({
    runtime,
    groupsDir: config.NANOCLAW_GROUPS_DIR,
    dataDir: config.NANOCLAW_DATA_DIR,
    folders: groups.groups.filter((group) => group.served).map((group) => group.folder),
    user: options.sandboxUser ?? defaultSandboxUser(),
  });
  if (access) checks.push(access);
  checks.push(await checkDatabase(config.NANOCLAW_DATA_DIR));
  checks.push(checkApiToken(config.NANOCLAW_DATA_DIR));
  checks.push(await checkMountAllowlist(options.env, options.homeDir));
  checks.push(
    await checkHttpPort({
      config,
      fetch: options.fetch,
      token: tokenIfAny(config.NANOCLAW_DATA_DIR),
      baseUrl: config.NANOCLAW_HTTP_PORT === 0 ? '' : hostBaseUrl(config),
    }),
  );
  return checks;
}

function tokenIfAny(dataDir: string): string | undefined {
  try {
    return readApiToken(path.resolve(dataDir));
  } catch {
    return undefined;
  }
}
