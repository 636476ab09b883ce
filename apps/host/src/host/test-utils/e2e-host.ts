import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerRuntime } from '@nanoclaw/core';
import { descendants } from '@nanoclaw/testing';
import { afterAll, beforeAll } from 'vitest';
import { createHostClient, createReplyWatcher, type HostClient } from '../../cli/index.js';
import { loadConfig } from '../../config.js';
import type { HostEvent } from '../../host-api.js';
import { readApiToken } from '../../http/index.js';
import { createLogger } from '../../logger.js';
import { type RunningHost, type StartHostOptions, startHost } from '../../start-host.js';
import type { TestCleanups } from './cleanups.js';

/** Starts a host on `root` (a temp project) with `runtime`; the API client talks to it. Test helper. */
export async function startTestHost(
  root: string,
  runtime: ContainerRuntime,
  env: Record<string, string> = {},
  options: Omit<StartHostOptions, 'runtime'> & { channelEnv?: Record<string, string> } = {},
): Promise<{ host: RunningHost; client: HostClient }> {
  const { channelEnv, ...startOptions } = options;
  const loaded = loadConfig({
    env: {
      NANOCLAW_HTTP_PORT: '0',
      AGENT_PROVIDER: 'mock',
      LOG_LEVEL: process.env.NANOCLAW_TEST_LOG_LEVEL ?? 'silent',
      TZ: 'UTC',
      ...env,
    },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
  const config = channelEnv ? { ...loaded, channelEnv } : loaded;
  const logger = createLogger({ level: config.LOG_LEVEL, format: 'json', destination: process.stderr });
  const host = await startHost(config, logger, { ...startOptions, runtime });
  const client = createHostClient({
    baseUrl: host.url,
    token: () => readApiToken(config.NANOCLAW_DATA_DIR),
    tokenSource: config.NANOCLAW_DATA_DIR,
  });
  return { host, client };
}

/** Posts `text` to the group and waits for what the user sees: a reply or an error. */
export async function ask(client: HostClient, folder: string, text: string, timeoutMs = 60_000) {
  const watcher = createReplyWatcher({ lateReplyGraceMs: 2_000 });
  const stream = await client.openEvents(folder, (event) => watcher.handle(event));
  try {
    const posted = await client.postMessage(folder, { text });
    const outcome = await watcher.wait(posted.messageId, { signal: AbortSignal.timeout(timeoutMs) });
    return { posted, outcome };
  } finally {
    stream.close();
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The process runtime's runners: this process's children running the agent-runner bundle. */
export function runnerPids(): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && /main\.js/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** A scratch project for one describe block; see {@link useSuiteProject}. */
export interface SuiteProject {
  /** The project folder (mode 0755: the sandbox user must traverse it, as with a real checkout). */
  readonly root: string;
  /** Runs `cleanup` after all tests of the block, before what was deferred earlier. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
  /** `resource` (a fake server, a pool), closed after all tests of the block. */
  closing<T extends { close(): Promise<unknown> | unknown }>(resource: T): T;
  /** {@link startTestHost} on this project; the host stops after all tests. */
  startHost(
    runtime: ContainerRuntime,
    env?: Record<string, string>,
  ): Promise<{ host: RunningHost; client: HostClient }>;
}

/**
 * Before all tests of the describe block: a scratch project named after `prefix`, handed to `setup` with the
 * `runtime` under test (which writes its files, starts fakes and the host, and defers their closing); nothing
 * when the runtime is not available here (the block is skipped). After all: what it deferred, last first, then
 * the project is removed.
 */
export function useSuiteProject(
  prefix: string,
  runtime: ContainerRuntime | undefined,
  setup: (project: SuiteProject, runtime: ContainerRuntime) => Promise<void>,
  timeoutMs = 120_000,
): void {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  beforeAll(async () => {
    if (!runtime) return;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    fs.chmodSync(root, 0o755);
    const defer = (cleanup: () => Promise<unknown> | unknown) => {
      cleanups.push(cleanup);
    };
    const project: SuiteProject = {
      root,
      defer,
      closing: (resource) => {
        defer(() => resource.close());
        return resource;
      },
      startHost: async (hostRuntime, env) => {
        const started = await startTestHost(root, hostRuntime, env);
        defer(() => started.host.stop());
        return started;
      },
    };
    await setup(project, runtime);
  }, timeoutMs);
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, 60_000);
}

/** Writes a group's settings, `groups/<folder>.container.json`, beside its (new) folder. */
export function writeGroupSettings(root: string, folder: string, settings: object): void {
  fs.mkdirSync(path.join(root, 'groups', folder), { recursive: true });
  fs.writeFileSync(path.join(root, 'groups', `${folder}.container.json`), `${JSON.stringify(settings)}\n`);
}

/** A started host and the events of one group since it started. */
export interface WatchedHost {
  host: RunningHost;
  client: HostClient;
  events: HostEvent[];
}

/** Records `folder`'s events of a started host; with the test's cleanups the stream closes and the host stops. */
export async function watchHost(
  started: { host: RunningHost; client: HostClient },
  folder: string,
  cleanups: TestCleanups,
): Promise<WatchedHost> {
  cleanups.add(() => started.host.stop());
  const events: HostEvent[] = [];
  const stream = await started.client.openEvents(folder, (event) => events.push(event));
  cleanups.add(() => stream.close());
  return { ...started, events };
}
