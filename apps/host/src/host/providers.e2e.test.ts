import type { FakeAnthropicServer, FakeChatCompletionsServer, FakeResponsesServer } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { createSessionStore } from '../groups/index.js';
import type { RunningHost } from '../start-host.js';
import { sandboxRuntimes } from './test-runtimes.js';
import { ask, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';
import { startFakeModels } from './test-utils/fake-models.js';

/**
 * One host, several runtimes: each group answers through the provider its container.json names, in a real
 * bwrap sandbox, each against its own loopback fake model; a session whose provider is overridden in the DB
 * answers through that provider instead. Keys stay on the host (`network: proxy`).
 */
const bwrap = sandboxRuntimes().find((target) => target.name === 'bwrap');
const runtime = await bwrap?.runtime();

describe.skipIf(!runtime)('one host, a provider per group (bwrap)', { timeout: 180_000 }, () => {
  let anthropic: FakeAnthropicServer;
  let responses: FakeResponsesServer;
  let chat: FakeChatCompletionsServer;
  let host: RunningHost;
  let client: HostClient;

  useSuiteProject('nanoclaw-providers-e2e', runtime, async (project, runtime) => {
    const models = project.closing(await startFakeModels());
    ({ anthropic, responses, chat } = models);
    const group = (folder: string, config: object) => writeGroupSettings(project.root, folder, config);
    group('main', { network: 'proxy' });
    group('claude-group', { provider: 'claude', network: 'proxy', model: 'claude-fake' });
    group('codex-group', { provider: 'codex', network: 'proxy', model: 'fake-model' });
    group('opencode-group', { provider: 'opencode', network: 'proxy', model: 'nanoclaw/fake-model' });
    ({ host, client } = await project.startHost(runtime, { AGENT_PROVIDER: 'mock', ...models.env }));
    await client.addGroup({ folder: 'claude-group', name: 'On Claude' });
    await client.addGroup({ folder: 'codex-group', name: 'On Codex' });
    await client.addGroup({ folder: 'opencode-group', name: 'On OpenCode' });
  });

  it('answers each group through its own provider', async () => {
    anthropic.on('which runtime', { text: 'Claude here.' });
    responses.on('which runtime', { text: 'Codex here.' });
    chat.on('which runtime', { text: 'OpenCode here.' });

    const claude = await ask(client, 'claude-group', '@Andy which runtime?', 120_000);
    expect(claude.outcome).toEqual({ kind: 'reply', texts: ['Claude here.'] });
    const codex = await ask(client, 'codex-group', '@Andy which runtime?', 120_000);
    expect(codex.outcome).toEqual({ kind: 'reply', texts: ['Codex here.'] });
    const opencode = await ask(client, 'opencode-group', '@Andy which runtime?', 120_000);
    expect(opencode.outcome).toEqual({ kind: 'reply', texts: ['OpenCode here.'] });
    const main = await ask(client, 'main', 'which runtime?', 60_000);
    expect(main.outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: which runtime?'] });

    expect(anthropic.requests.some((r) => JSON.stringify(r.body).includes('which runtime'))).toBe(true);
    expect(responses.requests.some((r) => JSON.stringify(r.body).includes('which runtime'))).toBe(true);
    expect(chat.requests.some((r) => JSON.stringify(r.body).includes('which runtime'))).toBe(true);
  });

  it('a session overridden in the DB answers through that provider', async () => {
    const sessions = createSessionStore(host.database.db);
    const row = await host.database.db
      .selectFrom('agent_groups')
      .select('id')
      .where('folder', '=', 'codex-group')
      .executeTakeFirstOrThrow();
    const [session] = await sessions.list(row.id);
    expect(session, 'the codex group has its session').toBeDefined();
    await sessions.setProvider(session!.id, 'claude');
    anthropic.on('who answers now', { text: 'Claude, by the session override.' });
    responses.on('who answers now', { text: 'Codex (wrong).' });

    const { outcome } = await ask(client, 'codex-group', '@Andy who answers now?', 120_000);
    expect(outcome).toEqual({ kind: 'reply', texts: ['Claude, by the session override.'] });
    const group = (await client.listGroups()).find((g) => g.folder === 'codex-group');
    expect(group?.provider).toEqual({ id: 'claude', source: 'session' });
  });
});
