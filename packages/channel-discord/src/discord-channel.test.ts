import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChannelError } from '@nanoclaw/channel-registry';
import { type ContractHost, createContractHost, silentLogger } from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordChannel, type DiscordChannel } from './discord-channel.js';
import { DiscordChannelError } from './discord-errors.js';
import { discordChannel } from './discord-factory.js';
import { type FakeDiscord, startFakeDiscord } from './fake-discord.js';

const silent = silentLogger();

const GENERAL = '400000000000000001';
const THREAD = '500000000000000001';

describe('discord channel against the loopback fake', () => {
  let fake: FakeDiscord;
  let channel: DiscordChannel;
  let host: ContractHost;

  beforeEach(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 200 });
    host = createContractHost();
    channel = createDiscordChannel({
      token: fake.token,
      apiUrl: fake.apiUrl,
      logger: silent,
      unthrottledIdentify: true,
      receiveRetryDelaysMs: [20, 20],
    });
    await channel.start(host);
  });

  afterEach(async () => {
    await channel.stop();
    await fake.close();
  });

  it('finds the gateway through REST on the configured API URL and identifies', async () => {
    expect(channel.botUserId).toBe(fake.botUserId);
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/gateway/bot')).toBe(true);
    expect(fake.requests.every((r) => r.authorization === `Bot ${fake.token}`)).toBe(true);
    expect(fake.identifies).toBe(1);
    expect(channel.health()).toEqual({ connected: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.heartbeats).toBeGreaterThan(0);
  });

  it('fails start for good on a bad token', async () => {
    const bad = createDiscordChannel({ token: 'not.the.token', apiUrl: fake.apiUrl });
    await expect(bad.start(createContractHost())).rejects.toMatchObject({ permanent: true });
    await bad.stop();
  });

  it('delivers a guild message with stable ids, the member name and mention detection', async () => {
    const plain = fake.inject({ channelId: GENERAL, content: 'hello there' });
    fake.inject({ channelId: GENERAL, content: 'are you there?', mention: true });
    const messages = await host.waitForStored(2);
    expect(messages[0]).toMatchObject({
      channel: 'discord',
      accountId: 'default',
      chatId: GENERAL,
      platformMessageId: plain.id,
      text: 'hello there',
      sender: { id: '200000000000000001', name: 'Alice' },
      mentionsAssistant: false,
    });
    expect(messages[0]?.threadId).toBeUndefined();
    expect(messages[1]).toMatchObject({
      text: `<@${fake.botUserId}> are you there?`,
      mentionsAssistant: true,
    });
    expect(channel.isMention?.(`<@!${fake.botUserId}> hi`)).toBe(true);
    expect(channel.isMention?.('hi nanoclaw')).toBe(false);
  });

  it('maps threads to their parent channel, replies to the bot and DMs', async () => {
    fake.inject({ channelId: THREAD, content: 'in a thread' });
    fake.inject({
      channelId: GENERAL,
      content: 'answering you',
      replyTo: { messageId: '600000000000000001', authorId: fake.botUserId, content: 'earlier reply' },
    });
    fake.inject({ channelId: '700000000000000001', content: 'private', dm: true });
    const messages = await host.waitForStored(3);
    expect(messages[0]).toMatchObject({ chatId: GENERAL, threadId: THREAD, mentionsAssistant: false });
    expect(messages[1]).toMatchObject({
      mentionsAssistant: true,
      replyTo: { platformMessageId: '600000000000000001', senderName: 'nanoclaw' },
    });
    expect(messages[2]).toMatchObject({ chatId: '700000000000000001', mentionsAssistant: true });
  });

  it('hands a replayed message to the host again (the host dedupes) and ignores bots', async () => {
    const first = fake.inject({ channelId: GENERAL, content: 'once' });
    fake.redeliver(first);
    fake.inject({ channelId: GENERAL, content: 'mine', authorId: fake.botUserId });
    fake.inject({ channelId: GENERAL, content: 'beep', authorId: '200000000000000077', bot: true });
    fake.inject({ channelId: GENERAL, content: 'last' });
    await host.waitForStored(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(host.stored.map((m) => m.text)).toEqual(['once', 'last']);
    expect(host.calls.length).toBe(3);
  });

  it('retries a failed receive (the gateway never redelivers)', async () => {
    host.failNextReceive(new Error('database is locked'), 2);
    fake.inject({ channelId: GENERAL, content: 'keep trying' });
    const [message] = await host.waitForStored(1);
    expect(message?.text).toBe('keep trying');
  });

  it('splits at 2,000 characters, replies to the first piece and posts into the thread', async () => {
    const text = Array.from({ length: 700 }, (_, i) => `w${i}`).join(' ');
    const result = await channel.send({
      channel: 'discord',
      accountId: 'default',
      chatId: GENERAL,
      threadId: THREAD,
      text,
      replyToPlatformMessageId: '600000000000000009',
      idempotencyKey: 'k1',
    });
    const posted = await fake.waitForPosted(2);
    expect(result.platformMessageIds).toEqual(posted.map((p) => p.id));
    expect(posted.every((p) => p.channelId === THREAD && p.content.length <= 2_000)).toBe(true);
    expect(posted[0]?.messageReference?.message_id).toBe('600000000000000009');
    expect(posted[1]?.messageReference).toBeUndefined();
    expect(posted.map((p) => p.content).join(' ')).toBe(text);
    expect(posted[0]?.allowedMentions).toEqual({ parse: ['users'], replied_user: false });
  });

  it('sends attachments as multipart files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'discord-att-'));
    await writeFile(path.join(dir, 'chart.png'), 'PNGDATA');
    const sender = createDiscordChannel({ token: fake.token, apiUrl: fake.apiUrl, attachmentRoot: dir });
    await sender.start(createContractHost());
    try {
      await sender.send({
        channel: 'discord',
        accountId: 'default',
        chatId: GENERAL,
        text: 'the chart',
        attachments: [{ name: 'chart.png', mimeType: 'image/png', sizeBytes: 7, ref: 'chart.png' }],
        idempotencyKey: 'k2',
      });
    } finally {
      await sender.stop();
    }
    const [posted] = await fake.waitForPosted(1);
    expect(posted?.content).toBe('the chart');
    expect(posted?.files.map((f) => [f.filename, f.bytes.toString()])).toEqual([['chart.png', 'PNGDATA']]);
  });

  it('hands inbound attachments over and downloads them', async () => {
    fake.inject({
      channelId: GENERAL,
      content: 'look',
      attachments: [{ filename: 'cat.png', contentType: 'image/png', content: 'MEOW' }],
    });
    const [message] = await host.waitForStored(1);
    expect(message?.attachments).toEqual([
      { name: 'cat.png', mimeType: 'image/png', sizeBytes: 4, ref: expect.stringContaining('/attachments/') },
    ]);
    const bytes = await channel.downloadAttachment(message!.attachments![0]!.ref);
    expect(Buffer.from(bytes).toString()).toBe('MEOW');
    await expect(
      channel.downloadAttachment(message!.attachments![0]!.ref, { maxBytes: 3 }),
    ).rejects.toMatchObject({
      name: 'AttachmentTooLargeError',
      permanent: true,
    });
  });

  it('waits out a short 429 in-process and sends once', async () => {
    fake.rateLimit('POST /channels/:id/messages', 0.3, 1);
    const started = Date.now();
    const result = await channel.send({
      channel: 'discord',
      accountId: 'default',
      chatId: GENERAL,
      text: 'after the limit',
      idempotencyKey: 'k3',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(result.platformMessageIds).toHaveLength(1);
    expect(fake.posted.map((p) => p.content)).toEqual(['after the limit']);
  });

  it('turns a long 429 into retryAfterMs without sending', async () => {
    fake.rateLimit('POST /channels/:id/messages', 30, 1);
    const error = (await channel
      .send({
        channel: 'discord',
        accountId: 'default',
        chatId: GENERAL,
        text: 'later',
        idempotencyKey: 'k6',
      })
      .catch((e: unknown) => e)) as DiscordChannelError;
    expect(error).toBeInstanceOf(DiscordChannelError);
    expect(ChannelError.isInstance(error)).toBe(true);
    expect(error.code).toBe('rate-limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(29_000);
    expect(error.permanent).toBeUndefined();
    expect(fake.posted).toHaveLength(0);
  });

  it('resumes a partly sent message without re-posting the sent pieces', async () => {
    const text = `${'a'.repeat(1_500)}\n\n${'b'.repeat(1_500)}`;
    const message = { channel: 'discord', accountId: 'default', chatId: GENERAL, text, idempotencyKey: 'k7' };
    fake.failNext('POST /channels/:id/messages', { status: 503, code: 0, after: 1, times: 2 });
    const error = (await channel.send(message).catch((e: unknown) => e)) as DiscordChannelError;
    expect(error.status).toBe(503);
    expect(error.permanent).toBe(false);
    const result = await channel.send(message);
    expect(fake.posted.map((p) => p.content[0])).toEqual(['a', 'b']);
    expect(result.platformMessageIds).toEqual(fake.posted.map((p) => p.id));
    expect(new Set(fake.posted.map((p) => p.nonce)).size).toBe(2);
  });

  it('marks unknown channels and missing permissions as permanent', async () => {
    fake.failNext('POST /channels/:id/messages', { status: 404, code: 10003, message: 'Unknown Channel' });
    const error = (await channel
      .send({ channel: 'discord', accountId: 'default', chatId: '1', text: 'x', idempotencyKey: 'k4' })
      .catch((e: unknown) => e)) as DiscordChannelError;
    expect(error.permanent).toBe(true);
    expect(error.discordCode).toBe(10003);
  });

  it('shows typing through the typing endpoint', async () => {
    await channel.setTyping?.(GENERAL, true);
    await fake.waitForTyping(1);
    await channel.setTyping?.(GENERAL, false);
    expect(fake.typing).toEqual([GENERAL]);
  });

  it('a failed typing ping is only logged, never a rejection', async () => {
    fake.failNext('POST /channels/:id/typing', { status: 403, code: 50013, message: 'Missing Permissions' });
    await expect(channel.setTyping?.(GENERAL, true)).resolves.toBeUndefined();
    await channel.setTyping?.(GENERAL, false);
    expect(fake.typing).toEqual([]);
  });

  it('resumes after a forced close and a dropped connection, replaying missed events', async () => {
    fake.closeGateway(4000);
    await fake.waitForResumes(1);
    fake.inject({ channelId: GENERAL, content: 'after close' });
    await host.waitForStored(1);
    fake.dropConnections();
    fake.inject({ channelId: GENERAL, content: 'while down' });
    await fake.waitForResumes(2);
    await host.waitForStored(2);
    expect(host.stored.map((m) => m.text)).toEqual(['after close', 'while down']);
    expect(fake.identifies).toBe(1);
  });

  it('identifies again when the session cannot be resumed', async () => {
    fake.sendInvalidSession(false);
    await fake.waitForReady(2);
    await new Promise((r) => setTimeout(r, 100));
    fake.inject({ channelId: GENERAL, content: 'new session' });
    await host.waitForStored(1);
    expect(fake.identifies).toBe(2);
  });
});

describe('discordChannel factory', () => {
  it('skips without a token', () => {
    expect(discordChannel.create({ accountId: 'default', env: {}, logger: silent })).toEqual({
      skipped: 'DISCORD_BOT_TOKEN not set',
    });
    expect(discordChannel.requiredEnv).toEqual(['DISCORD_BOT_TOKEN']);
  });

  it('creates an adapter from env', () => {
    const adapter = discordChannel.create({
      accountId: 'ops',
      env: { DISCORD_BOT_TOKEN: 'Bot abc', DISCORD_API_URL: 'http://127.0.0.1:1/api' },
      logger: silent,
    });
    expect(adapter).toMatchObject({ channel: 'discord', accountId: 'ops', limits: { maxTextLength: 2_000 } });
  });
});
