import fs from 'node:fs';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import type { AgentPool } from '../agent-pool/types.js';
import { type HostConfig, loadConfig } from '../config.js';
import { createHost, type RunningHost } from '../host/compose-host.js';
import { createLogger } from '../logger.js';
import { type CliRun, runCli, tempDir } from './test-utils.js';

/** A pool that never starts an agent: these tests manage groups and tasks, they run no turns. */
const noAgents = (): AgentPool => ({
  acquire: async () => {
    throw new Error('no agents in this test');
  },
  discard: async () => undefined,
  liveSessions: () => [],
  list: () => [],
  kill: async () => false,
  closeAll: async () => undefined,
});

export interface HostHarness {
  root: string;
  host: RunningHost;
  /** What the CLI reads: the host's data dir and the port it listens on. */
  config: HostConfig;
  /** Runs `nanoclaw <args>` in-process against the real host. */
  run(args: string[]): Promise<CliRun>;
  cleanup(): Promise<void>;
}

/** The real host (database, registry, scheduler, HTTP API) on a temp project, for the CLI to talk to. Test helper. */
export async function startHostHarness(env: Record<string, string> = {}): Promise<HostHarness> {
  const root = tempDir('nanoclaw-cli-host-');
  const base = { AGENT_PROVIDER: 'mock', LOG_LEVEL: 'silent', TZ: 'UTC', ...env };
  const configAt = (port: string) =>
    loadConfig({ env: { ...base, NANOCLAW_HTTP_PORT: port }, cwd: root, envFile: path.join(root, '.env') });
  const host = await createHost({
    config: configAt('0'),
    logger: createLogger({ level: 'silent', format: 'json' }),
    createPool: noAgents,
    runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }),
  });
  const config = configAt(new URL(host.url).port);
  return {
    root,
    host,
    config,
    run: (args) => runCli(args, { loadConfig: () => config, env: {}, homeDir: root }),
    cleanup: async () => {
      await host.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
