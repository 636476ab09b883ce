import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { describe, expect, it } from 'vitest';
import { sandboxRuntimes } from '../host/test-runtimes.js';
import { startTestHost, until, useSuiteProject } from '../host/test-utils/e2e-host.js';
import type { RunningHost } from '../start-host.js';

const CHAT = 424242;

/**
 * Telegram end to end: the real grammy adapter long-polls a loopback fake of the Bot API; the message reaches
 * the mock agent in a real bwrap sandbox and the reply is posted back. A restart then gets the same update
 * again (as Telegram does when the offset was not confirmed): no second reply.
 */
const bwrap = sandboxRuntimes().find((target) => target.name === 'bwrap');
const runtime = await bwrap?.runtime();

describe.skipIf(!runtime)('Telegram through the host (bwrap)', { timeout: 120_000 }, () => {
  let root: string;
  let fake: FakeTelegramServer;
  let host: RunningHost | undefined;
  let env: Record<string, string>;
  let firstMessageId = 0;

  useSuiteProject('nanoclaw-telegram-e2e', runtime, async (project) => {
    root = project.root;
    fake = project.closing(await createFakeTelegramServer());
    project.defer(() => host?.stop());
    env = { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url };
  });

  it('answers a Telegram message in its group and posts the reply to the chat', async () => {
    if (!runtime) return;
    const started = await startTestHost(root, runtime, env);
    host = started.host;
    await started.client.addGroup({
      folder: 'telegram-family',
      name: 'Family on Telegram',
      chat: { channel: 'telegram', chatId: String(CHAT) },
    });

    const { message } = fake.injectMessage({
      chatId: CHAT,
      chatType: 'group',
      text: '@Andy what is for dinner?',
    });
    firstMessageId = message.message_id;
    await until(() => fake.sent.some((m) => m.chatId === String(CHAT)), 60_000);
    expect(fake.sent.map((m) => m.text)).toEqual(['Mock reply to: @Andy what is for dinner?']);
  });

  it('a redelivered update after a restart gets no second reply', async () => {
    if (!runtime) return;
    const answered = fake.sent.length;
    const [reply] = fake.sent;
    await host?.stop();
    host = undefined;

    // The same message comes again (as after a crash before the offset was confirmed), plus a new one.
    const redelivered = fake.redeliver(CHAT, firstMessageId);
    fake.injectMessage({ chatId: CHAT, chatType: 'group', text: '@Andy and dessert?' });

    host = (await startTestHost(root, runtime, env)).host;
    await until(() => fake.confirmedOffset() > redelivered, 30_000);
    await until(() => fake.sent.length > answered, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(fake.sent.map((m) => m.text)).toEqual([reply?.text, 'Mock reply to: @Andy and dessert?']);
  });
});
