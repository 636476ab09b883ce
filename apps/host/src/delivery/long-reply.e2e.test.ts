import fs from 'node:fs';
import path from 'node:path';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { runCli } from '../cli/test-utils.js';
import { loadConfig } from '../config.js';
import { resolveRuntimes, sandboxRuntimes } from '../host/test-runtimes.js';
import { ask, until, useSuiteProject } from '../host/test-utils/e2e-host.js';
import type { HostEvent } from '../host-api.js';
import { LOCAL_MAX_TEXT_LENGTH } from '../local-channel/index.js';
import type { RunningHost } from '../start-host.js';

const CHAT = 515151;
const TELEGRAM_MAX = 4096;
const LINE = 'The quick brown fox jumps over the lazy dog.';
/** 3,334 lines of 45 characters: a reply of 150,036 characters, half again the 100,000 one message carries. */
const LINES = 3_334;
/** The mock agent runs this in its sandbox and answers with its output (`exec: <output>`). */
const DIRECTIVE = `/exec ["sh", "-c", "yes '${LINE}' | head -n ${LINES}"]`;
const EXPECTED = `exec: ${Array.from({ length: LINES }, () => LINE).join('\n')}`;

/**
 * A message or a reply longer than one message may be. A reply is delivered, never re-run: the mock agent in a real sandbox answers
 * with 150,036 characters; the local chat gets it whole, in order, in parts of at most 100,000, and a Telegram
 * chat (the real adapter against a loopback fake of the Bot API) as messages of at most 4,096. One run each.
 */
const targets = await resolveRuntimes(sandboxRuntimes());

for (const target of targets) {
  describe.skipIf(!target.runtime)(`a long reply (${target.name})`, { timeout: 180_000 }, () => {
    let root: string;
    let fake: FakeTelegramServer;
    let host: RunningHost | undefined;
    let client: HostClient;

    useSuiteProject(`nanoclaw-long-reply-${target.name}`, target.runtime, async (project, runtime) => {
      root = project.root;
      fake = project.closing(await createFakeTelegramServer());
      ({ host, client } = await project.startHost(runtime, {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
      }));
    });

    it('reaches the local chat in full, in order, in parts of at most 100,000, from one run', async () => {
      const events: HostEvent[] = [];
      const stream = await client.openEvents('main', (event) => events.push(event));
      try {
        const { posted, outcome } = await ask(client, 'main', DIRECTIVE, 120_000);
        expect(outcome).toEqual({ kind: 'reply', texts: [EXPECTED] });
        const replies = events.filter((e) => e.type === 'reply' && e.inReplyTo.includes(posted.messageId));
        expect(replies.map((e) => (e.type === 'reply' ? e.part : undefined))).toEqual([
          { index: 1, count: 2 },
          { index: 2, count: 2 },
        ]);
        const runs = events.filter((e) => e.type === 'run-start' && e.inReplyTo.includes(posted.messageId));
        expect(runs).toHaveLength(1);
        expect(events.filter((e) => e.type === 'error')).toEqual([]);
      } finally {
        stream.close();
      }
      const rows = await host?.database.db
        .selectFrom('outbound_messages')
        .select(['status', 'text', 'attempts'])
        .where('channel', '=', 'local')
        .orderBy('id')
        .execute();
      expect(
        rows?.map((row) => [row.status, row.attempts, row.text.length <= LOCAL_MAX_TEXT_LENGTH]),
      ).toEqual([
        ['sent', 1, true],
        ['sent', 1, true],
      ]);
      // Processed once: the turn was not re-run.
      const inbound = await host?.database.db
        .selectFrom('inbound_messages')
        .select(['status', 'tries'])
        .execute();
      expect(inbound?.map((row) => [row.status, row.tries])).toEqual([['done', 1]]);
    });

    it('`nanoclaw send --file` delivers a 99,000-character message and prints the whole reply', async () => {
      const text = Array.from({ length: 2_200 }, () => LINE)
        .join('\n')
        .slice(0, 99_000);
      const file = path.join(root, 'long-message.txt');
      fs.writeFileSync(file, `${text}\n`);
      const config = loadConfig({
        env: { NANOCLAW_HTTP_PORT: new URL(host?.url ?? '').port, TZ: 'UTC' },
        cwd: root,
        envFile: path.join(root, '.env'),
      });
      const sent = await runCli(['send', '--group', 'main', '--wait', '--timeout', '120', '--file', file], {
        loadConfig: () => config,
        env: {},
      });
      expect(sent.stderr).toBe('');
      expect(sent).toMatchObject({ code: 0, stdout: `Mock reply to: ${text}\n` });
    });

    it('reaches a Telegram chat as messages of at most 4,096, in order, from one run', async () => {
      await client.addGroup({
        folder: 'tg',
        name: 'Telegram',
        chat: { channel: 'telegram', chatId: String(CHAT) },
      });
      fake.injectMessage({ chatId: CHAT, chatType: 'group', text: `@Andy\n${DIRECTIVE}` });
      const expected = `${EXPECTED}\n\nMock reply to: @Andy`;
      const sent = () => fake.sent.filter((m) => m.chatId === String(CHAT)).map((m) => m.text);
      await until(() => sent().join('\n').length >= expected.length, 120_000);
      expect(sent().length).toBeGreaterThanOrEqual(Math.ceil(expected.length / TELEGRAM_MAX));
      expect(sent().every((text) => text.length <= TELEGRAM_MAX)).toBe(true);
      expect(sent().join('\n')).toBe(expected);
      const rows = await host?.database.db
        .selectFrom('outbound_messages')
        .select(['status', 'text'])
        .where('channel', '=', 'telegram')
        .execute();
      expect(rows?.length).toBe(sent().length);
      expect(rows?.every((row) => row.status === 'sent' && row.text.length <= TELEGRAM_MAX)).toBe(true);
      const inbound = await host?.database.db
        .selectFrom('inbound_messages')
        .select(['status', 'tries'])
        .where('channel', '=', 'telegram')
        .execute();
      expect(inbound?.map((row) => [row.status, row.tries])).toEqual([['done', 1]]);
    });
  });
}
