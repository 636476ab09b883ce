import fs from 'node:fs';
import path from 'node:path';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { describe, expect, it } from 'vitest';
import type { RunningHost } from '../start-host.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { startTestHost, until, useSuiteProject } from './test-utils/e2e-host.js';

const CHAT = 515151;
const FOLDER = 'telegram-media';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** Every file under `dir` (not following symlinks), relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * Inbound media through the real host, per runtime: Telegram files (the fake Bot API serves them) are fetched into
 * the group's `inbox/<date>/`, the mock agent's prompt names them by the path it sees and their sniffed type, and
 * what cannot be fetched is told to the user while the message is still answered.
 */
for (const target of await resolveRuntimes(sandboxRuntimes())) {
  const { runtime } = target;
  describe.skipIf(!runtime)(`inbound media through the host (${target.name})`, { timeout: 90_000 }, () => {
    let root: string;
    let fake: FakeTelegramServer;
    let host: RunningHost | undefined;

    useSuiteProject(`nanoclaw-media-${target.name}`, runtime, async (project, hostRuntime) => {
      root = project.root;
      fake = project.closing(await createFakeTelegramServer());
      project.defer(() => host?.stop());
      const started = await startTestHost(root, hostRuntime, {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        MEDIA_MAX_MB: '1',
      });
      host = started.host;
      await started.client.addGroup({
        folder: FOLDER,
        name: 'Media on Telegram',
        chat: { channel: 'telegram', chatId: String(CHAT) },
      });
    });

    const groupDir = () => path.join(root, 'groups', FOLDER);
    /** Where the agent sees a file of the group folder. */
    const agentPath = (relative: string) =>
      target.name === 'process' ? path.join(groupDir(), relative) : `/workspace/group/${relative}`;

    /** Sends a message and waits for the replies it gets (notices first, then the agent's answer). */
    async function send(
      input: Omit<Parameters<FakeTelegramServer['injectMessage']>[0], 'chatId'>,
      answered = (text: string) => text.startsWith('Mock reply to:'),
    ): Promise<{ id: number; replies: string[] }> {
      const before = fake.sent.length;
      const { message } = fake.injectMessage({ chatId: CHAT, chatType: 'group', ...input });
      await until(() => fake.sent.slice(before).some((m) => answered(m.text)), 60_000);
      return { id: message.message_id, replies: fake.sent.slice(before).map((m) => m.text) };
    }

    /** The one saved file of message `id`, relative to the group folder. */
    const savedOf = (id: number) => {
      const found = filesUnder(path.join(groupDir(), 'inbox')).filter((f) =>
        path.basename(f).startsWith(`${id}-`),
      );
      expect(found).toHaveLength(1);
      return `inbox/${found[0]}`;
    };

    it('a photo lands in the inbox with its bytes, and the prompt names its path and real type', async () => {
      const { id, replies } = await send({ text: '@Andy look', photo: { content: PNG } });
      const saved = savedOf(id);
      expect(saved).toMatch(new RegExp(`^inbox/\\d{4}-\\d{2}-\\d{2}/${id}-photo-${id}\\.jpg\\.png$`));
      expect(fs.readFileSync(path.join(groupDir(), saved))).toEqual(PNG);
      expect(replies).toEqual([
        expect.stringContaining(`type="image/png" size="${PNG.length}" path="${agentPath(saved)}"`),
      ]);
    });

    it("a PDF named .jpg is kept with .pdf added, the prompt says so, and the agent's shell reads it", async () => {
      const { id, replies } = await send({
        text: '@Andy my receipt',
        document: { name: 'receipt.jpg', mimeType: 'image/jpeg', content: PDF },
      });
      const saved = savedOf(id);
      expect(saved).toMatch(/-receipt\.jpg\.pdf$/);
      expect(replies[0]).toContain(
        `<attachment name="receipt.jpg" type="application/pdf" size="${PDF.length}"`,
      );
      expect(replies[0]).toContain('note="the name says image/jpeg but the bytes are application/pdf');
      const read = await send({ text: `@Andy\n/exec ["cat", "${agentPath(saved)}"]` }, (text) =>
        text.includes('exec'),
      );
      expect(read.replies.join('\n')).toContain('exec: %PDF-1.4');
    });

    it('an oversized file is not saved; the user is told why and the message is still answered', async () => {
      const { replies } = await send({
        text: '@Andy big one',
        document: {
          name: 'big.bin',
          mimeType: 'application/octet-stream',
          content: Buffer.alloc(2 * 1024 * 1024, 7),
        },
      });
      expect(replies).toEqual([
        "I couldn't get big.bin: it is 2.0 MB, over the 1 MB limit (MEDIA_MAX_MB).",
        expect.stringContaining('Mock reply to: @Andy big one<attachment name="big.bin" error="it is 2.0 MB'),
      ]);
      expect(filesUnder(groupDir()).filter((f) => f.includes('big'))).toEqual([]);
    });

    it('a hostile name writes nothing outside inbox/<date>/', async () => {
      const before = filesUnder(root).filter((f) => !f.includes(`${FOLDER}/inbox/`));
      const { id, replies } = await send({
        text: '@Andy evil',
        document: {
          name: '../../../evil\u0000\n\u202E.txt',
          mimeType: 'text/plain',
          content: Buffer.from('hi'),
        },
      });
      expect(savedOf(id)).toMatch(new RegExp(`^inbox/\\d{4}-\\d{2}-\\d{2}/${id}-evil\\.txt$`));
      expect(replies[0]).toContain('type="text/plain"');
      const after = filesUnder(root).filter((f) => !f.includes(`${FOLDER}/inbox/`));
      expect(after.filter((f) => f.includes('evil'))).toEqual([]);
      expect(after.filter((f) => !before.includes(f) && !f.startsWith('data/'))).toEqual([]);
    });
  });
}
