import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OutboundMessage } from '@nanoclaw/core';
import { createContractHost } from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeTelegramServer, type FakeTelegramServer } from './fake-telegram-server.js';
import { createTelegramChannel, type TelegramChannel } from './telegram-channel.js';

const CHAT = '-100555';

async function until<T>(probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const outbound = (text: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: 'telegram',
  accountId: 'default',
  chatId: CHAT,
  text,
  idempotencyKey: `k-${Math.random()}`,
  ...extra,
});

describe('telegram channel', () => {
  let server: FakeTelegramServer;
  let channel: TelegramChannel;
  let tmp: string;

  beforeEach(async () => {
    server = await createFakeTelegramServer({ botUsername: 'claw_bot' });
    channel = createTelegramChannel({
      token: server.token,
      apiRoot: server.url,
      backoff: { baseMs: 10, maxMs: 50 },
      typingRefreshMs: 40,
    });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tg-test-'));
  });

  afterEach(async () => {
    await channel.stop();
    await server.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('learns its username on start and recognises @mentions in text', async () => {
    expect(channel.botUsername).toBeUndefined();
    await channel.start(createContractHost());
    expect(channel.botUsername).toBe('claw_bot');
    expect(channel.isMention?.('hey @claw_bot')).toBe(true);
    expect(channel.isMention?.('hey claw_bot')).toBe(false);
    expect(channel.health()).toEqual({ connected: true });
  });

  it('rejects a wrong token as a permanent error', async () => {
    const wrong = createTelegramChannel({ token: '1:wrong', apiRoot: server.url });
    await expect(wrong.start(createContractHost())).rejects.toMatchObject({ permanent: true });
  });

  it('does not advance the offset when the host fails to store: the update comes back', async () => {
    const host = createContractHost();
    await channel.start(host);
    host.failNextReceive(new Error('disk full'));
    const { message } = server.injectMessage({ chatId: CHAT, text: 'keep me' });
    await until(() => host.stored.find((m) => m.text === 'keep me'));
    expect(host.calls.filter((m) => m.text === 'keep me')).toHaveLength(2);
    await until(() => server.isConfirmed(CHAT, message.message_id));
  });

  it('backs off on a getUpdates conflict and reports it through health', async () => {
    server.failNext({
      methods: ['getUpdates'],
      errorCode: 409,
      description: 'Conflict: terminated by other getUpdates request',
    });
    const host = createContractHost();
    await channel.start(host);
    server.injectMessage({ chatId: CHAT, text: 'after conflict' });
    await until(() => host.stored.find((m) => m.text === 'after conflict'));
    expect(channel.health().connected).toBe(true);
  });

  it('shows the link down in health while polls fail', async () => {
    await channel.start(createContractHost());
    for (let i = 0; i < 50; i += 1)
      server.failNext({ methods: ['getUpdates'], errorCode: 502, description: 'Bad Gateway' });
    server.dropConnections();
    await until(() => channel.health().lastError?.includes('502'));
    expect(channel.health().connected).toBe(false);
  });

  it('keeps its offset over stop and start, and confirms it on stop', async () => {
    const host = createContractHost();
    await channel.start(host);
    const { message } = server.injectMessage({ chatId: CHAT, text: 'once' });
    await until(() => host.stored.length === 1);
    await channel.stop();
    expect(server.isConfirmed(CHAT, message.message_id)).toBe(true);
    await channel.start(host);
    server.injectMessage({ chatId: CHAT, text: 'twice' });
    await until(() => host.stored.length === 2);
    expect(host.calls.map((m) => m.text)).toEqual(['once', 'twice']);
  });

  it('replies to the given message on the first part only, in the topic', async () => {
    await channel.start(createContractHost());
    const text = `${'word '.repeat(1000)}\n\n${'more '.repeat(600)}`;
    const result = await channel.send(outbound(text, { replyToPlatformMessageId: '77', threadId: '9' }));
    expect(result.platformMessageIds).toHaveLength(2);
    expect(server.sent.map((s) => [s.replyTo, s.threadId])).toEqual([
      [77, 9],
      [undefined, 9],
    ]);
  });

  it('after a 429 on the first part nothing is sent; the retry sends every part once', async () => {
    await channel.start(createContractHost());
    const message = outbound(`${'alpha '.repeat(600)}\n\n${'beta '.repeat(600)}\n\n${'gamma '.repeat(600)}`);
    server.failNext({ methods: ['sendMessage'], errorCode: 429, retryAfter: 3 });
    await expect(channel.send(message)).rejects.toMatchObject({ retryAfterMs: 3000 });
    expect(server.sent).toHaveLength(0);
    const result = await channel.send(message);
    expect(result.platformMessageIds).toHaveLength(3);
    expect(server.sent).toHaveLength(3);
  });

  it('after a 429 mid-split, the retry sends only the missing parts and returns every id', async () => {
    await channel.start(createContractHost());
    const message = outbound(`${'alpha '.repeat(600)}\n\n${'beta '.repeat(600)}\n\n${'gamma '.repeat(600)}`);
    server.failNext({ methods: ['sendMessage'], errorCode: 429, retryAfter: 2, afterCalls: 1 });
    await expect(channel.send(message)).rejects.toMatchObject({ retryAfterMs: 2000 });
    expect(server.sent.map((s) => s.text.split(' ')[0])).toEqual(['alpha']);
    const result = await channel.send(message);
    expect(server.sent.map((s) => s.text.split(' ')[0])).toEqual(['alpha', 'beta', 'gamma']);
    expect(result.platformMessageIds).toEqual(server.sent.map((s) => String(s.messageId)));
  });

  it('marks a blocked bot as a permanent failure', async () => {
    await channel.start(createContractHost());
    server.failNext({
      methods: ['sendMessage'],
      errorCode: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
    await expect(channel.send(outbound('hi'))).rejects.toMatchObject({ permanent: true });
  });

  it('sends a single attachment with its text as the caption, images as photos', async () => {
    await channel.start(createContractHost());
    const png = path.join(tmp, 'chart.png');
    await fs.writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const result = await channel.send(
      outbound('the chart', {
        attachments: [{ name: 'chart.png', mimeType: 'image/png', sizeBytes: 4, ref: png }],
      }),
    );
    expect(result.platformMessageIds).toHaveLength(1);
    expect(server.uploads).toEqual([
      expect.objectContaining({ method: 'sendPhoto', name: 'chart.png', caption: 'the chart' }),
    ]);
    expect(server.sent).toHaveLength(0);
  });

  it('sends an OGG voice note with sendVoice and a PDF with sendDocument, bytes unchanged', async () => {
    await channel.start(createContractHost());
    const ogg = path.join(tmp, 'note.ogg');
    const pdf = path.join(tmp, 'report.pdf');
    await fs.writeFile(ogg, Buffer.from('OggS voice'));
    await fs.writeFile(pdf, Buffer.from('%PDF-1.4 report'));
    await channel.send(
      outbound('', {
        attachments: [
          { name: 'note.ogg', mimeType: 'audio/ogg', sizeBytes: 10, ref: ogg },
          { name: 'report.pdf', mimeType: 'application/pdf', sizeBytes: 15, ref: pdf },
        ],
      }),
    );
    expect(server.uploads.map((u) => [u.method, u.name, u.content.toString()])).toEqual([
      ['sendVoice', 'note.ogg', 'OggS voice'],
      ['sendDocument', 'report.pdf', '%PDF-1.4 report'],
    ]);
    expect(server.sent).toHaveLength(0);
  });

  it('refuses relative or missing attachment paths as permanent', async () => {
    await channel.start(createContractHost());
    const attachment = { name: 'a.txt', mimeType: 'text/plain', sizeBytes: 1 };
    await expect(
      channel.send(outbound('x', { attachments: [{ ...attachment, ref: 'a.txt' }] })),
    ).rejects.toMatchObject({
      permanent: true,
    });
    await expect(
      channel.send(outbound('x', { attachments: [{ ...attachment, ref: path.join(tmp, 'missing.txt') }] })),
    ).rejects.toMatchObject({ permanent: true });
  });

  it('renews typing until it is turned off', async () => {
    await channel.start(createContractHost());
    await channel.setTyping?.(CHAT, true);
    await until(() => server.chatActions.length >= 3);
    await channel.setTyping?.(CHAT, false);
    const count = server.chatActions.length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(server.chatActions.length).toBe(count);
  });

  it('downloads inbound files by file_id', async () => {
    await channel.start(createContractHost());
    const id = server.addFile(Buffer.from('bytes!'), 'x.bin');
    expect(Buffer.from(await channel.downloadAttachment(id)).toString()).toBe('bytes!');
    await expect(channel.downloadAttachment('nope')).rejects.toMatchObject({ permanent: false });
    // Over the host's limit: refused on getFile's size, before the download.
    await expect(channel.downloadAttachment(id, { maxBytes: 5 })).rejects.toMatchObject({
      name: 'AttachmentTooLargeError',
      sizeBytes: 6,
      permanent: true,
    });
  });
});
