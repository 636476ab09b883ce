import { createHash } from 'node:crypto';
import path from 'node:path';
import { createAgentPool } from '../agent-pool/agent-pool.js';
import type { AgentPool } from '../agent-pool/types.js';
import { configAsEnv } from '../config.js';
import type { PoolContext } from './compose-host.js';

/**
 * The production sandbox pool: the real agent runner in the configured runtime. The project root is the folder
 * that holds the groups folder; the install id is derived from the data dir, so a restart finds its own
 * orphans and never another install's.
 */
export function createDefaultPool({ config, runtime, registry, logger }: PoolContext): AgentPool {
  return createAgentPool({
    runtime,
    projectRoot: path.dirname(config.NANOCLAW_GROUPS_DIR),
    groupsDir: config.NANOCLAW_GROUPS_DIR,
    dataDir: config.NANOCLAW_DATA_DIR,
    installId: installIdOf(config.NANOCLAW_DATA_DIR),
    hostEnv: configAsEnv(config),
    getContainerConfig: async (groupId) => (await registry.getById(groupId))?.containerConfig,
    timezone: config.TZ,
    logger: logger.child({ component: 'sandboxes' }),
  });
}

export function installIdOf(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
}
