import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFakeResponsesServer, type FakeResponsesServer } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { freePort } from '../cli/test-utils.js';
import { grepTree, installEnvProbe, readEnvProbe } from './sandbox-env-probe.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { ask, until, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';

const run = promisify(execFile);
const TSX = import.meta.resolve('tsx');
const HOST_SRC = path.resolve(fileURLToPath(import.meta.url), '../..');
const FAKE_KEY = 'sk-nanoclaw-e2e-not-a-real-key';

/**
 * Codex end to end: the real `codex app-server` in a real sandbox, behind the host, answering from the loopback
 * Responses fake through a custom endpoint (auth mode C, the README's "any local server" example). The main
 * group has the DEFAULT container.json (network `full`), the `offline` group `network: none`: in bwrap and
 * docker both reach the loopback endpoint only through the host's egress proxy, which adds the key, so no file
 * and no env var in the sandbox holds it. The process runtime runs on the host as it is.
 */
const targets = await resolveRuntimes(sandboxRuntimes());

for (const target of targets) {
  describe.skipIf(!target.runtime)(`codex through the host (${target.name})`, { timeout: 120_000 }, () => {
    let root: string;
    let fake: FakeResponsesServer;
    let client: HostClient;
    let port: number;
    const isolated = target.name !== 'process';

    useSuiteProject(`nanoclaw-codex-e2e-${target.name}`, target.runtime, async (project, runtime) => {
      root = project.root;
      fake = project.closing(await createFakeResponsesServer());
      port = await freePort();
      // What a user writes into .env for mode C; the CLI below reads the same file.
      const env: Record<string, string> = {
        AGENT_PROVIDER: 'codex',
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_API_KEY: FAKE_KEY,
        CODEX_MODEL: 'fake-model',
        // Codex's own retries (4 + 5 with backoff) would make the 500 case take ~50 s.
        CODEX_MAX_RETRIES: '0',
        NANOCLAW_HTTP_PORT: String(port),
      };
      const dotenv = Object.entries(env).map(([key, value]) => `${key}=${value}\n`);
      fs.writeFileSync(path.join(root, '.env'), dotenv.join(''));
      // The default container.json: no `network` key.
      const probe = isolated ? installEnvProbe(path.join(root, 'groups', 'main'), FAKE_KEY) : undefined;
      writeGroupSettings(root, 'main', probe ? { mcpServers: probe } : {});
      const offlineProbe = isolated ? installEnvProbe(path.join(root, 'groups', 'offline'), FAKE_KEY) : {};
      writeGroupSettings(root, 'offline', { network: 'none', mcpServers: offlineProbe });
      ({ client } = await project.startHost(runtime, env));
      await client.addGroup({ folder: 'offline', name: 'Offline' });
    });

    it('answers `nanoclaw send --wait` from the loopback endpoint with the default network, and the key never enters the sandbox', async () => {
      fake.on('hello codex', { text: 'Hello from Codex behind the host.' });
      const { stdout } = await run(
        process.execPath,
        ['--import', TSX, path.join(HOST_SRC, 'cli.ts'), 'send', '--group', 'main', '--wait', 'hello codex'],
        { cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 90_000 },
      );
      expect(stdout.trim()).toBe('Hello from Codex behind the host.');
      const turn = fake.requests.find((request) => request.lastUserText.includes('hello codex'));
      expect(turn?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
      expect(JSON.stringify(turn?.body)).toContain('hello codex');
      // The process runtime runs Codex on the host with the key in its env (Codex's shell snapshots in the
      // session home record that env); an isolated sandbox never has the key.
      if (!isolated) return;
      const sessionHomes = path.join(root, 'data', 'sessions');
      expect(grepTree(sessionHomes, FAKE_KEY), 'the key is nowhere in the session files').toEqual([]);
      await expectNoKeyInSandboxEnv(path.join(root, 'groups', 'main'));
    });

    // The process runtime runs on the host (no network of its own to take away): nothing to prove there.
    const isolatedIt = isolated ? it : () => undefined;
    isolatedIt(
      'with network "none" the loopback endpoint answers through the host, and the key stays there',
      async () => {
        fake.on('hello offline', { text: 'Hello from an offline Codex.' });
        const { outcome } = await ask(client, 'offline', '@Andy hello offline', 90_000);
        expect(outcome).toEqual({ kind: 'reply', texts: ['Hello from an offline Codex.'] });
        const turn = fake.requests.find((request) => request.lastUserText.includes('hello offline'));
        expect(turn?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
        expect(grepTree(path.join(root, 'data', 'sessions'), FAKE_KEY)).toEqual([]);
        expect(grepTree(path.join(root, 'groups', 'offline'), FAKE_KEY)).toEqual([]);
        await expectNoKeyInSandboxEnv(path.join(root, 'groups', 'offline'));
      },
    );

    it('delivers an MCP send_message call from Codex to the chat, then the final reply', async () => {
      fake.on('post a note', {
        mcp: { server: 'nanoclaw', tool: 'send_message', arguments: { text: 'A note sent by Codex.' } },
        text: 'Note posted.',
      });
      const chat: string[] = [];
      const stream = await client.openEvents('main', (event) => {
        if (event.type === 'reply') chat.push(event.text);
      });
      try {
        const { outcome } = await ask(client, 'main', 'post a note', 90_000);
        expect(outcome).toEqual({ kind: 'reply', texts: ['Note posted.'] });
        await until(() => chat.includes('A note sent by Codex.'), 10_000);
      } finally {
        stream.close();
      }
    });

    it('tells the user when the model fails with a 500, and the next message works', async () => {
      // The next prompt carries the failed message as context, and the first matching key wins: register it first.
      fake.on('are you back', { text: 'Back again.' });
      fake.on('this will fail', { error: { status: 500, message: 'upstream exploded' } });
      const failed = await ask(client, 'main', 'this will fail', 90_000);
      expect(failed.outcome.kind).toBe('error');
      const message = failed.outcome.kind === 'error' ? failed.outcome.message : '';
      expect(message.length).toBeGreaterThan(0);
      const next = await ask(client, 'main', 'are you back', 90_000);
      expect(next.outcome).toEqual({ kind: 'reply', texts: ['Back again.'] });
    });
  });
}

/** Every env var of every process the sandbox's env probe could read: none holds the key, the runner's among them. */
async function expectNoKeyInSandboxEnv(groupDir: string): Promise<void> {
  const report = await readEnvProbe(groupDir);
  expect(report.sandboxEnvSeen, 'the probe read the sandbox env (the runner’s)').toBe(true);
  expect(report.readable).toBeGreaterThan(0);
  expect(report.holders, 'env vars holding the key').toEqual([]);
}
