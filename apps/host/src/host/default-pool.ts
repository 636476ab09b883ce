import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@nanoclaw/core';
import { createSandboxImages, type SandboxImages } from '@nanoclaw/sandbox-image';
import { createAgentPool } from '../agent-pool/agent-pool.js';
import type { AgentPool } from '../agent-pool/types.js';
import { configAsEnv, type HostConfig } from '../config.js';
import type { PoolContext } from './compose-host.js';

/**
 * The production sandbox pool: the real agent runner in the configured runtime. The project root is the folder
 * that holds the groups folder; the install id is derived from the data dir, so a restart finds its own
 * orphans and never another install's.
 */
export function createDefaultPool({
  config,
  runtime,
  registry,
  logger,
  onSandboxChange,
}: PoolContext): AgentPool {
  const pool = createAgentPool({
    runtime,
    projectRoot: path.dirname(config.NANOCLAW_GROUPS_DIR),
    groupsDir: config.NANOCLAW_GROUPS_DIR,
    dataDir: config.NANOCLAW_DATA_DIR,
    installId: installIdOf(config.NANOCLAW_DATA_DIR),
    hostEnv: configAsEnv(config),
    getContainerConfig: async (groupId) => (await registry.getById(groupId))?.containerConfig,
    timezone: config.TZ,
    logger: logger.child({ component: 'sandboxes' }),
    userland: hostSandboxImages(config, logger),
    onSandboxChange,
  });
  // The first start builds the agent userland (about a minute); doing it now means the first message waits less.
  pool
    .prepare()
    .catch((error: unknown) =>
      logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'the agent userland is not ready; the first message will try again',
      ),
    );
  return pool;
}

/** The agent userlands as this configuration places them (cache dir, Debian mirror). */
export function hostSandboxImages(
  config: Pick<HostConfig, 'NANOCLAW_USERLAND_CACHE_DIR' | 'NANOCLAW_DEBIAN_MIRROR'>,
  logger?: Logger,
): SandboxImages {
  return createSandboxImages({
    ...(config.NANOCLAW_USERLAND_CACHE_DIR ? { cacheDir: config.NANOCLAW_USERLAND_CACHE_DIR } : {}),
    ...(config.NANOCLAW_DEBIAN_MIRROR ? { mirror: config.NANOCLAW_DEBIAN_MIRROR } : {}),
    ...(logger ? { logger: logger.child({ component: 'userland' }) } : {}),
  });
}

export function installIdOf(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
}
