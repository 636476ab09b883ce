import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime } from '@nanoclaw/core';
import { createFakeResponsesServer } from '@nanoclaw/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentPool } from '../agent-pool/types.js';
import type { HostConfig } from '../config.js';
import { createSessionStore, describeProvider, MAIN_SESSION_KEY } from '../groups/index.js';
import { createRecordingLogger } from '../groups/test-support.js';
import { createHost } from '../host/compose-host.js';
import type { HostStatus } from '../host-api.js';
import type { DoctorCheck } from './doctor/doctor-check.js';
import { configFor, freePort, runCli, tempDir } from './test-utils.js';

/**
 * One provider resolution: for every source a group's provider can come from, the host's start log, `nanoclaw
 * status` and `nanoclaw doctor` name the same provider and the same source.
 */

/** No agent runs here: the pool is never asked. */
const idlePool: AgentPool = {
  acquire: () => Promise.reject(new Error('no agent runs in this test')),
  discard: async () => undefined,
  liveSessions: () => [],
  list: () => [],
  kill: async () => false,
  closeAll: async () => undefined,
};
const runtime = { name: 'process' } as unknown as ContainerRuntime;

let models: Awaited<ReturnType<typeof createFakeResponsesServer>>;
beforeAll(async () => {
  models = await createFakeResponsesServer();
});
afterAll(() => models.close());

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
});

async function project(env: Record<string, string>, groups: Record<string, string> = {}) {
  const root = tempDir('nanoclaw-provider-sources-');
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  // The host finds a Codex login under the user's home: this one has none.
  vi.stubEnv('HOME', homeDir);
  for (const [folder, container] of Object.entries({ main: '', ...groups })) {
    fs.mkdirSync(path.join(root, 'groups', folder), { recursive: true });
    if (container) fs.writeFileSync(path.join(root, 'groups', `${folder}.container.json`), container);
  }
  const config = configFor(root, { NANOCLAW_HTTP_PORT: String(await freePort()), ...env });
  return { root, homeDir, config };
}

async function start(config: HostConfig) {
  const logger = createRecordingLogger();
  const host = await createHost({ config, logger, runtime, createPool: () => idlePool });
  cleanups.push(() => host.stop());
  const ready = logger.lines.find((line) => line.message === 'NanoClaw host ready');
  return { host, ready: ready?.bindings as { defaultProvider: string; providers: Record<string, string> } };
}

const cli = (config: HostConfig, homeDir: string, args: string[]) =>
  runCli(args, {
    loadConfig: () => config,
    env: {},
    homeDir,
    probeRuntime: async () => ({ ok: true, name: 'process', detail: 'plain processes' }),
    userlandStatus: () => Promise.reject(new Error('not used by the process runtime')),
  });

/** Each group's provider as the three surfaces show it. */
async function reported(config: HostConfig, homeDir: string, ready: { providers: Record<string, string> }) {
  const status = JSON.parse((await cli(config, homeDir, ['status', '--json'])).stdout) as HostStatus;
  const doctor = JSON.parse((await cli(config, homeDir, ['doctor', '--json'])).stdout) as DoctorCheck[];
  const fromDoctor = (folder: string) =>
    doctor.find((check) => check.name === `group ${folder}`)?.detail.match(/^\S+ \([^)]*\)/)?.[0];
  return Object.fromEntries(
    status.groups.map((group) => [
      group.folder,
      {
        startLog: ready.providers[group.folder],
        status: describeProvider(group.provider),
        doctor: fromDoctor(group.folder),
      },
    ]),
  );
}

const same = (shown: string) => ({ startLog: shown, status: shown, doctor: shown });

describe('the start log, nanoclaw status and nanoclaw doctor name the same provider', () => {
  it('session pin, groups add --provider, container.json and AGENT_PROVIDER (over a credential that picks codex)', async () => {
    const { config, homeDir } = await project(
      { AGENT_PROVIDER: 'mock', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: models.baseUrl },
      { family: '{"provider": "claude"}' },
    );
    const first = await start(config);
    expect((await cli(config, homeDir, ['groups', 'add', 'family'])).code).toBe(0);
    expect((await cli(config, homeDir, ['groups', 'add', 'work', '--provider', 'codex'])).code).toBe(0);
    expect((await cli(config, homeDir, ['groups', 'add', 'pinned', '--provider', 'codex'])).code).toBe(0);
    const sessions = createSessionStore(first.host.database.db);
    const pinned = (await first.host.database.db
      .selectFrom('agent_groups')
      .select('id')
      .where('folder', '=', 'pinned')
      .executeTakeFirstOrThrow()) as { id: string };
    await sessions.setProvider((await sessions.getOrCreate(pinned.id, MAIN_SESSION_KEY)).id, 'claude');
    await first.host.stop();

    const { ready } = await start(config);
    expect(ready.defaultProvider).toBe('mock (AGENT_PROVIDER)');
    expect(await reported(config, homeDir, ready)).toEqual({
      main: same('mock (AGENT_PROVIDER)'),
      family: same('claude (container.json)'),
      work: same('codex (group)'),
      pinned: same('claude (session)'),
    });
  });

  it('credentials: an OpenAI key picks codex', async () => {
    const { config, homeDir } = await project({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: models.baseUrl });
    const { ready } = await start(config);
    expect(ready.defaultProvider).toBe('codex (credentials)');
    expect(await reported(config, homeDir, ready)).toEqual({ main: same('codex (credentials)') });
  });

  it('no credentials at all: the mock', async () => {
    const { config, homeDir } = await project({});
    const { ready } = await start(config);
    expect(ready.defaultProvider).toBe('mock (no credentials)');
    expect(await reported(config, homeDir, ready)).toEqual({ main: same('mock (no credentials)') });
  });
});
