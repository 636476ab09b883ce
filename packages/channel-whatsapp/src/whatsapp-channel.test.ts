import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutboundMessage } from '@nanoclaw/core';
import { createContractHost } from '@nanoclaw/testing';
import type { WAMessage } from 'baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  boom,
  createFakeWhatsApp,
  FAKE_GROUP,
  FAKE_SELF_PN,
  type FakeWhatsApp,
  userText,
} from './test-utils/fake-whatsapp.js';
import {
  createWhatsAppChannel,
  type WhatsAppChannel,
  type WhatsAppChannelOptions,
} from './whatsapp-channel.js';

async function until<T>(probe: () => T | undefined | false, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

const outbound = (text: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  channel: 'whatsapp',
  accountId: 'default',
  chatId: FAKE_GROUP,
  text,
  idempotencyKey: `k-${Math.random()}`,
  ...extra,
});

describe('whatsapp channel (fake socket)', () => {
  let fake: FakeWhatsApp;
  let authDir: string;
  let channel: WhatsAppChannel;
  let qrs: string[];
  const make = (extra: Partial<WhatsAppChannelOptions> = {}) =>
    createWhatsAppChannel({
      authDir,
      makeSocket: fake.makeSocket,
      backoff: { baseMs: 10, maxMs: 40 },
      onQr: (qr) => qrs.push(qr),
      ...extra,
    });

  beforeEach(() => {
    fake = createFakeWhatsApp();
    authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-test-'));
    qrs = [];
    channel = make();
  });

  afterEach(async () => {
    await channel.stop();
    fs.rmSync(authDir, { recursive: true, force: true });
  });

  it('opens a direct chat with a user: their JID, from a JID or a phone number; a group is not a user', async () => {
    channel = make();
    expect(await channel.openDirectChat('15551234567@s.whatsapp.net')).toBe('15551234567@s.whatsapp.net');
    expect(await channel.openDirectChat('+15551234567')).toBe('15551234567@s.whatsapp.net');
    expect(await channel.openDirectChat('12345678@lid')).toBe('12345678@lid');
    await expect(channel.openDirectChat(FAKE_GROUP)).rejects.toThrow(/not a WhatsApp user/);
    await expect(channel.openDirectChat('U-owner')).rejects.toThrow(/not a WhatsApp user/);
    expect(channel.sendCard).toBeUndefined();
  });

  it('pairs by QR: start resolves on the QR, then the restart after scanning connects', async () => {
    fake.nextConnect('qr');
    await channel.start(createContractHost());
    expect(qrs).toEqual(['2@fake-qr-1']);
    expect(channel.health()).toEqual({ connected: false, lastError: expect.stringContaining('QR') });
    fake.sockets[0]?.emit('connection.update', {
      connection: 'close',
      lastDisconnect: { error: boom(515, 'restart required'), date: new Date() },
    });
    await until(() => channel.health().connected);
    expect(fake.sockets).toHaveLength(2);
    expect(channel.self).toEqual({ pn: FAKE_SELF_PN, lid: '246813579@lid', name: 'NanoClaw' });
    expect(channel.isMention?.('@15550001111 hi')).toBe(true);
  });

  it('saves credentials 0600 in a 0700 folder on creds.update', async () => {
    await channel.start(createContractHost());
    fake.current()?.emit('creds.update', {});
    const creds = path.join(authDir, 'creds.json');
    await until(() => fs.existsSync(creds));
    expect(fs.statSync(creds).mode & 0o777).toBe(0o600);
    expect(fs.statSync(authDir).mode & 0o777).toBe(0o700);
  });

  it('a failed first connection rejects start (the supervisor retries); a later start works', async () => {
    fake.nextConnect({ close: 503 });
    const error = await channel.start(createContractHost()).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringContaining('connection failed: 503') });
    expect((error as { permanent?: boolean }).permanent).toBeUndefined();
    await channel.start(createContractHost());
    expect(channel.health().connected).toBe(true);
  });

  it('logged out at start is permanent', async () => {
    fake.nextConnect({ close: 401 });
    await expect(channel.start(createContractHost())).rejects.toMatchObject({ permanent: true });
  });

  it('logged out later: clears the pairing and does not reconnect', async () => {
    await channel.start(createContractHost());
    fake.current()?.emit('creds.update', {});
    await until(() => fs.existsSync(path.join(authDir, 'creds.json')));
    fake.drop(401);
    await until(() => !fs.existsSync(path.join(authDir, 'creds.json')));
    await tick(60);
    expect(fake.sockets).toHaveLength(1);
    expect(channel.health().lastError).toMatch(/logged out/);
  });

  it('reconnects with backoff after a lost connection and keeps delivering', async () => {
    const host = createContractHost();
    await channel.start(host);
    fake.drop(408);
    expect(channel.health().connected).toBe(false);
    await until(() => channel.health().connected);
    fake.deliver(userText({ chatId: FAKE_GROUP, text: 'back again' }));
    await until(() => host.stored.length === 1);
    expect(fake.sockets).toHaveLength(2);
  });

  it('skips its own sent messages and append (history) upserts, keeps messages typed on the phone', async () => {
    const host = createContractHost();
    await channel.start(host);
    const result = await channel.send(outbound('from the assistant'));
    const echo = {
      key: { remoteJid: FAKE_GROUP, fromMe: true, id: result.platformMessageIds[0] },
      message: { conversation: 'from the assistant' },
      messageTimestamp: 1,
    } as WAMessage;
    fake.deliver(echo);
    fake.deliver(userText({ chatId: FAKE_GROUP, text: 'old history' }), 'append');
    const phone = {
      ...echo,
      key: { ...echo.key, id: 'PHONE0001' },
      message: { conversation: 'typed on the phone' },
    };
    fake.deliver(phone as WAMessage);
    await until(() => host.stored.length === 1);
    await tick();
    expect(host.calls.map((m) => m.text)).toEqual(['typed on the phone']);
    expect(host.stored[0]?.sender.id).toBe(FAKE_SELF_PN);
    expect(fake.reads).toEqual([]);
  });

  it('marks stored messages read, unless readReceipts is off', async () => {
    const host = createContractHost();
    await channel.start(host);
    const message = userText({ chatId: FAKE_GROUP, text: 'read me' });
    fake.deliver(message);
    await until(() => fake.reads.length === 1);
    expect(fake.reads[0]?.id).toBe(message.key.id);

    await channel.stop();
    channel = make({ readReceipts: false });
    await channel.start(host);
    fake.deliver(userText({ chatId: FAKE_GROUP, text: 'do not read' }));
    await until(() => host.stored.length === 2);
    await tick();
    expect(fake.reads).toHaveLength(1);
  });

  it('retries host.receive when storing fails (WhatsApp will not redeliver)', async () => {
    const host = createContractHost();
    channel = make({ receiveAttempts: 3 });
    await channel.start(host);
    host.failNextReceive(new Error('database is locked'));
    fake.deliver(userText({ chatId: FAKE_GROUP, text: 'persist me' }));
    await until(() => host.stored.length === 1, 5000);
    expect(host.calls).toHaveLength(2);
  });

  it('quotes the message it replies to when it saw it', async () => {
    const host = createContractHost();
    await channel.start(host);
    const question = userText({ chatId: FAKE_GROUP, text: 'question?' });
    fake.deliver(question);
    await until(() => host.stored.length === 1);
    await channel.send(outbound('answer', { replyToPlatformMessageId: question.key.id ?? '' }));
    await channel.send(outbound('no quote', { replyToPlatformMessageId: 'UNKNOWN' }));
    expect(fake.sent[0]?.options?.quoted?.key.id).toBe(question.key.id);
    expect(fake.sent[1]?.options).toBeUndefined();
  });

  it('after a failure mid-split, the retry sends only the missing parts', async () => {
    await channel.start(createContractHost());
    const message = outbound(`${'alpha '.repeat(600)}\n\n${'beta '.repeat(600)}\n\n${'gamma '.repeat(600)}`);
    fake.failNextSend(boom(428, 'Connection Closed'), 1);
    await expect(channel.send(message)).rejects.toThrow(/428 Connection Closed/);
    const result = await channel.send(message);
    expect(fake.sent.map((s) => ('text' in s.content ? s.content.text.split(' ')[0] : ''))).toEqual([
      'alpha',
      'beta',
      'gamma',
    ]);
    expect(result.platformMessageIds).toEqual(fake.sent.map((s) => s.id));
  });

  it('sends an OGG file as a voice note and a PDF as a document, with their bytes', async () => {
    await channel.start(createContractHost());
    const ogg = path.join(authDir, 'note.ogg');
    const pdf = path.join(authDir, 'report.pdf');
    fs.writeFileSync(ogg, 'OggS voice');
    fs.writeFileSync(pdf, '%PDF-1.4 report');
    await channel.send(
      outbound('', {
        attachments: [
          { name: 'note.ogg', mimeType: 'audio/ogg', sizeBytes: 10, ref: ogg },
          { name: 'report.pdf', mimeType: 'application/pdf', sizeBytes: 15, ref: pdf },
        ],
      }),
    );
    expect(fake.sent.map((s) => s.content)).toEqual([
      { audio: Buffer.from('OggS voice'), mimetype: 'audio/ogg; codecs=opus', ptt: true },
      { document: Buffer.from('%PDF-1.4 report'), fileName: 'report.pdf', mimetype: 'application/pdf' },
    ]);
  });

  it('refuses to send while disconnected (transient) and on a bad jid (permanent)', async () => {
    await expect(channel.send(outbound('x'))).rejects.toMatchObject({ message: 'whatsapp is not connected' });
    await channel.start(createContractHost());
    fake.failNextSend(boom(400, 'bad-request'));
    await expect(channel.send(outbound('x'))).rejects.toMatchObject({ permanent: true });
  });

  it('shows composing while typing and pauses after', async () => {
    await channel.start(createContractHost());
    await channel.setTyping?.(FAKE_GROUP, true);
    await channel.setTyping?.(FAKE_GROUP, false);
    expect(fake.presences).toEqual([
      { type: 'composing', jid: FAKE_GROUP },
      { type: 'paused', jid: FAKE_GROUP },
    ]);
  });
});
