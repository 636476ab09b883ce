import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerHostEnv } from '@nanoclaw/container-runner/test';
import { openDatabase } from '@nanoclaw/db';
import { freePort } from '@nanoclaw/testing/loopback';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostClient, createReplyWatcher, type HostClient } from '../cli/index.js';
import { readApiToken } from '../http/index.js';
import { startHostProcess } from './host-process.js';
import { sandboxRuntimes } from './test-runtimes.js';

const targets = await Promise.all(
  sandboxRuntimes().map(async (target) => ({
    name: target.name,
    available: (await target.runtime()) !== undefined,
  })),
);

/**
 * A user's worst case: the host is killed (-9) while an agent is mid-turn. After a restart the message is
 * processed again and exactly one reply reaches the chat.
 */
for (const target of targets) {
  describe.skipIf(!target.available)(`restart mid-turn with kill -9 (${target.name})`, () => {
    const roots: string[] = [];
    const children: ChildProcess[] = [];
    afterAll(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
    });

    it('processes the message again and delivers exactly one reply', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-restart-${target.name}-`));
      fs.chmodSync(root, 0o755); // the sandbox user must traverse it, as with a real checkout
      roots.push(root);
      const port = await freePort();
      const first = await startChild(root, port, target.name, children);
      const client = clientFor(root, port);

      const runStarted = new Promise<void>((resolve) => {
        void client.openEvents('main', (event) => {
          if (event.type === 'run-start') resolve();
        });
      });
      const posted = await client.postMessage('main', { text: '/sleep 4000\nslow question' });
      await runStarted;
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));

      const second = await startChild(root, port, target.name, children);
      const watcher = createReplyWatcher({ lateReplyGraceMs: 3_000 });
      const stream = await clientFor(root, port).openEvents('main', (event) => watcher.handle(event));
      const outcome = await watcher.wait(posted.messageId, { signal: AbortSignal.timeout(60_000) });
      stream.close();
      expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: slow question'] });

      await new Promise((resolve) => setTimeout(resolve, 2_000));
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
      const handle = await openDatabase({ path: path.join(root, 'data', 'nanoclaw.db') });
      const replies = await handle.db
        .selectFrom('outbound_messages')
        .select(['text', 'status'])
        .where('chat_id', '=', 'main')
        .execute();
      const inbound = await handle.db
        .selectFrom('inbound_messages')
        .select('status')
        .where('platform_message_id', '=', posted.messageId)
        .executeTakeFirst();
      await handle.close();
      expect(replies).toEqual([{ text: 'Mock reply to: slow question', status: 'sent' }]);
      expect(inbound?.status).toBe('done');
    }, 120_000);
  });
}

function clientFor(root: string, port: number): HostClient {
  return createHostClient({
    baseUrl: `http://127.0.0.1:${port}`,
    token: () => readApiToken(path.join(root, 'data')),
    tokenSource: root,
  });
}

async function startChild(
  root: string,
  port: number,
  runtime: string,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const { child } = await startHostProcess(root, {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    ...dockerSocket(),
    NANOCLAW_HTTP_PORT: String(port),
    NANOCLAW_RUNTIME: runtime,
    AGENT_PROVIDER: 'mock',
  });
  children.push(child);
  return child;
}

/** Only the Docker socket from the test environment, nothing else. */
function dockerSocket(): Record<string, string> {
  const host = dockerHostEnv().DOCKER_HOST;
  return host ? { DOCKER_HOST: host } : {};
}
