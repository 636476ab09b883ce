import path from 'node:path';
import { createProcessRuntime, SandboxError } from '@nanoclaw/container-runner';
import { RunnerErrorCode } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { AgentPoolError } from '../agent-pool/index.js';
import type { AgentPool } from '../agent-pool/types.js';
import { createHostClient } from '../cli/index.js';
import { loadConfig } from '../config.js';
import type { HostEvent } from '../host-api.js';
import { readApiToken } from '../http/index.js';
import { createLogger } from '../logger.js';
import { createHost, type RunningHost } from './compose-host.js';
import { useCleanups } from './test-utils/cleanups.js';
import { until, watchHost } from './test-utils/e2e-host.js';

/** A pool that can never start a sandbox: a setup problem no retry fixes. */
const brokenPool =
  (
    cause: () => Error = () =>
      new AgentPoolError('unknown-provider', 'no sandbox profile for provider "mock"'),
  ) =>
  (): AgentPool => ({
    acquire: async () => {
      throw cause();
    },
    discard: async () => undefined,
    liveSessions: () => [],
    list: () => [],
    kill: async () => false,
    closeAll: async () => undefined,
  });

const cleanups = useCleanups();

async function start(
  createPool: () => AgentPool = brokenPool(),
): Promise<{ host: RunningHost; events: HostEvent[]; dataDir: string }> {
  const root = cleanups.scratch('nanoclaw-failures');
  const config = loadConfig({
    env: { NANOCLAW_HTTP_PORT: '0', AGENT_PROVIDER: 'mock', LOG_LEVEL: 'silent', TZ: 'UTC' },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
  const host = await createHost({
    config,
    logger: createLogger({ level: 'silent', format: 'json' }),
    createPool,
    runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }),
  });
  const client = createHostClient({
    baseUrl: host.url,
    token: () => readApiToken(config.NANOCLAW_DATA_DIR),
    tokenSource: 'test',
  });
  const { events } = await watchHost({ host, client }, 'main', cleanups);
  return { host, events, dataDir: config.NANOCLAW_DATA_DIR };
}

/** Posts "hello" to the main group as the API does; returns its message id. */
async function postHello(host: RunningHost, dataDir: string): Promise<string> {
  const posted = await fetch(`${host.url}/api/v1/groups/main/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${readApiToken(dataDir)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'hello' }),
  });
  return ((await posted.json()) as { messageId: string }).messageId;
}

describe('failures the user hears about', () => {
  it('a message whose sandbox cannot start gets an error at once, naming the cause', async () => {
    const { host, events, dataDir } = await start();
    const messageId = await postHello(host, dataDir);
    await until(() => events.some((e) => e.type === 'error' && e.inReplyTo.includes(messageId)));
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' ? error.message : '').toContain('no sandbox profile');
    const inbound = await host.database.db.selectFrom('inbound_messages').select('status').executeTakeFirst();
    expect(inbound?.status).toBe('failed');
  });

  it('a runner without the provider (an old image) fails at once, without retries', async () => {
    // What the runner answers session/start with when it does not carry the provider (JSON-RPC error -32001).
    const notInstalled = () =>
      Object.assign(new Error('provider codex is not installed in this runner'), {
        code: RunnerErrorCode.providerNotInstalled,
      });
    const { host, events, dataDir } = await start(brokenPool(notInstalled));
    const messageId = await postHello(host, dataDir);
    await until(() => events.some((e) => e.type === 'error' && e.inReplyTo.includes(messageId)), 3_000);
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' ? error.message : '').toContain('provider codex is not installed');
  });

  it('a spawn refused by a mount check (an extra mount made a symlink) fails at once, naming the file', async () => {
    const refused = () =>
      new SandboxError(
        'mount-refused',
        'mount /srv/shared/notes -> /workspace/extra/notes refused: /srv/shared/notes is a symlink; it must be a regular file',
      );
    const { host, events, dataDir } = await start(brokenPool(refused));
    const messageId = await postHello(host, dataDir);
    await until(() => events.some((e) => e.type === 'error' && e.inReplyTo.includes(messageId)), 3_000);
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' ? error.message : '').toContain('notes is a symlink');
    await until(() => events.some((e) => e.type === 'reply' && e.text.includes('notes is a symlink')), 3_000);
  });

  it('a scheduled task that fails for good is reported in the group chat', async () => {
    const { host, events, dataDir } = await start();
    const token = readApiToken(dataDir);
    const created = await fetch(`${host.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        folder: 'main',
        prompt: 'nightly report',
        schedule: { kind: 'once', at: new Date(Date.now() + 300).toISOString() },
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await until(() =>
      events.some((e) => e.type === 'reply' && e.text.includes(`Scheduled task ${id} failed`)),
    );
    const runs = await host.database.db.selectFrom('task_run_logs').select(['status', 'error']).execute();
    expect(runs).toEqual([{ status: 'failed', error: expect.stringContaining('no sandbox profile') }]);
  });
});
