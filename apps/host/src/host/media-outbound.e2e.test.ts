import fs from 'node:fs';
import path from 'node:path';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { until, useSuiteProject } from './test-utils/e2e-host.js';

const CHAT = 626262;
/** A 1×1 PNG, as the agent makes it in its sandbox (`base64 -d`). */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PNG = Buffer.from(PNG_BASE64, 'base64');

/**
 * The agent's files reach the chat (issue 20): the mock agent in a real sandbox makes a PNG and a 60 MB video in
 * its group folder, then calls `send_message` with them. The Telegram fake receives `sendPhoto` with exactly the
 * PNG's bytes; the video is refused with a message naming both sizes, and nothing of it is sent.
 */
const targets = await resolveRuntimes(sandboxRuntimes());

for (const target of targets) {
  describe.skipIf(!target.runtime)(`files the agent sends (${target.name})`, { timeout: 120_000 }, () => {
    let root: string;
    let fake: FakeTelegramServer;
    let client: HostClient;
    const groupDir = () => path.join(root, 'groups', 'tg');
    // Where the agent sees its group folder: the unisolated process runtime runs on the host's own paths.
    const agentGroupPath = () => (target.name === 'process' ? groupDir() : '/workspace/group');
    const tell = async (text: string) => {
      const before = fake.sent.length;
      fake.injectMessage({ chatId: CHAT, chatType: 'group', text: `@Andy\n${text}` });
      await until(() => fake.sent.length > before, 60_000);
      return fake.sent.slice(before).map((m) => m.text);
    };

    useSuiteProject(`nanoclaw-media-outbound-${target.name}`, target.runtime, async (project, runtime) => {
      root = project.root;
      fake = project.closing(await createFakeTelegramServer());
      ({ client } = await project.startHost(runtime, {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
      }));
      await client.addGroup({
        folder: 'tg',
        name: 'Telegram',
        chat: { channel: 'telegram', chatId: String(CHAT) },
      });
    });

    it('sends a PNG the agent made as a Telegram photo, byte for byte; refuses a 60 MB file', async () => {
      const make = `mkdir -p out && echo ${PNG_BASE64} | base64 -d > out/chart.png && truncate -s 60M out/clip.mp4 && echo made`;
      expect(await tell(`/exec ["sh", "-c", "${make}"]`)).toEqual(['exec: made\n\nMock reply to: @Andy']);
      expect(fs.readFileSync(path.join(groupDir(), 'out/chart.png'))).toEqual(PNG);

      const photo = JSON.stringify({ attachments: [path.posix.join(agentGroupPath(), 'out/chart.png')] });
      const video = JSON.stringify({ text: 'the clip', attachments: ['out/clip.mp4'] });
      const [reply] = await tell(
        `/tool nanoclaw.send_message ${photo}\n/tool nanoclaw.send_message ${video}`,
      );

      expect(fake.uploads.map((u) => [u.chatId, u.method, u.name, u.caption])).toEqual([
        [String(CHAT), 'sendPhoto', 'chart.png', undefined],
      ]);
      expect(fake.uploads[0]?.content.equals(PNG)).toBe(true);
      expect(reply).toContain('"files":[{"name":"chart.png","mimeType":"image/png","sizeBytes":70}]');
      expect(reply).toContain(
        'nanoclaw.send_message failed: clip.mp4 is 60.0 MB; telegram bots can send files up to 50 MB — nothing was sent',
      );
      expect(fake.sent.map((m) => m.text)).not.toContain('the clip');
      // Delivered: the host's copy is gone from its spool.
      const spool = path.join(root, 'data', 'outbox-files');
      await until(() => !fs.existsSync(spool) || fs.readdirSync(spool).length === 0, 10_000);
    });
  });
}
