import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFakeResponsesServer, type FakeResponsesServer } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { RunningHost } from '../start-host.js';
import { ask, startTestHost, until } from './e2e-host.js';
import { sandboxRuntimes } from './test-runtimes.js';

const run = promisify(execFile);
const TSX = import.meta.resolve('tsx');
const HOST_SRC = path.resolve(fileURLToPath(import.meta.url), '../..');
const FAKE_KEY = 'sk-nanoclaw-e2e-not-a-real-key';

/**
 * Codex end to end: the real `codex app-server` in a real sandbox, behind the host, answering from the loopback
 * Responses fake through a custom endpoint (auth mode C). The group uses `network: proxy`, so the sandbox has no
 * network and never sees the key: the host's egress proxy adds it on the way to the fake.
 */
const targets = await Promise.all(
  sandboxRuntimes().map(async (target) => ({ name: target.name, runtime: await target.runtime() })),
);

for (const target of targets) {
  describe.skipIf(!target.runtime)(`codex through the host (${target.name})`, { timeout: 120_000 }, () => {
    let root: string;
    let fake: FakeResponsesServer;
    let host: RunningHost;
    let client: HostClient;
    let port: number;

    beforeAll(async () => {
      const runtime = target.runtime;
      if (!runtime) return;
      fake = await createFakeResponsesServer();
      root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-codex-e2e-${target.name}-`));
      fs.chmodSync(root, 0o755);
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
      fs.mkdirSync(path.join(root, 'groups', 'main'), { recursive: true });
      fs.writeFileSync(path.join(root, 'groups', 'main', 'container.json'), '{ "network": "proxy" }\n');
      ({ host, client } = await startTestHost(root, runtime, env));
    }, 120_000);

    afterAll(async () => {
      await host?.stop();
      await fake?.close();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    }, 60_000);

    it('answers `nanoclaw send --wait` from the custom endpoint, and the key never enters the sandbox', async () => {
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
      const sessionHomes = path.join(root, 'data', 'sessions');
      expect(grepTree(sessionHomes, FAKE_KEY), 'the key is nowhere in the session files').toEqual([]);
    });

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Files under `dir` whose content contains `needle` (regular files only; symlinks are not followed). */
function grepTree(dir: string, needle: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}
