import { type OrphanReaper, SANDBOX_LABELS, startOrphanReaper } from '@nanoclaw/container-runner';
import type { ContainerRuntime, Logger } from '@nanoclaw/core';
import type { AgentPool } from './types.js';

export interface AgentPoolReaperOptions {
  pool: Pick<AgentPool, 'liveSessions'>;
  runtime: ContainerRuntime;
  installId: string;
  /** Default 5 min. */
  intervalMs?: number;
  logger?: Logger;
}

/**
 * Stops sandboxes labelled with `installId` that no session of `pool` owns: once now (left over from a crash)
 * and then every `intervalMs`. A pass asks the pool again when the runtime's list comes back, so a sandbox
 * whose spawn started after the pass began (its session was not live yet) is never taken for an orphan.
 * Stop it with `stop()` (`createAgentPool` does so in `closeAll`).
 */
export function startAgentPoolReaper(options: AgentPoolReaperOptions): OrphanReaper {
  const { pool, runtime } = options;
  const guarded: ContainerRuntime = {
    specificationVersion: runtime.specificationVersion,
    name: runtime.name,
    available: () => runtime.available(),
    spawn: (spec) => runtime.spawn(spec),
    async list(labels) {
      const found = await runtime.list(labels);
      const owned = new Set(pool.liveSessions());
      return found.filter((sandbox) => {
        const session = sandbox.labels[SANDBOX_LABELS.session];
        return session === undefined || !owned.has(session);
      });
    },
    stop: (name) => runtime.stop(name),
  };
  return startOrphanReaper({
    runtime: guarded,
    installId: options.installId,
    liveSessions: () => pool.liveSessions(),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
