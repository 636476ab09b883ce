import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChannelError } from '@nanoclaw/channel-registry';
import { type ContractHost, silentLogger } from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeSlack } from './fake-slack.js';
import { createSlackChannel, type SlackChannel } from './slack-channel.js';
import { SlackChannelError } from './slack-errors.js';
import { slackChannel } from './slack-factory.js';
import { startSlackTestWorld, stopSlackTestWorld } from './test-utils.js';

const silent = silentLogger();

describe('slack channel against the loopback fake', () => {
  let fake: FakeSlack;
  let channel: SlackChannel;
  let host: ContractHost;

  beforeEach(async () => {
    ({ fake, channel, host } = await startSlackTestWorld());
  });

  afterEach(() => stopSlackTestWorld({ fake, channel }));

  it('authenticates and opens Socket Mode through the configured Web API URL', () => {
    expect(channel.botUserId).toBe(fake.botUserId);
    const open = fake.calls.find((c) => c.method === 'apps.connections.open');
    expect(open?.token).toBe(fake.appToken);
    expect(fake.calls.find((c) => c.method === 'auth.test')?.token).toBe(fake.botToken);
    expect(fake.openConnections).toBe(1);
    expect(channel.health()).toEqual({ connected: true });
  });

  it('fails start for good on a bad bot token or app token', async () => {
    const badBot = createSlackChannel({
      botToken: 'xoxb-wrong',
      appToken: fake.appToken,
      apiUrl: fake.apiUrl,
    });
    await expect(badBot.start(host)).rejects.toMatchObject({ permanent: true, slackError: 'invalid_auth' });
    const badApp = createSlackChannel({
      botToken: fake.botToken,
      appToken: 'xapp-wrong',
      apiUrl: fake.apiUrl,
    });
    await expect(badApp.start(host)).rejects.toMatchObject({ permanent: true, slackError: 'invalid_auth' });
    await badApp.stop();
  });

  it('delivers a message with stable ids and acknowledges only after receive resolved', async () => {
    const release = host.hold();
    const event = fake.inject({ channel: 'C1', text: 'hello there' });
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.isAcked(event.envelopeId)).toBe(false);
    release();
    await fake.waitForAck(event.envelopeId);
    const [message] = await host.waitForStored(1);
    expect(message).toMatchObject({
      channel: 'slack',
      accountId: 'default',
      chatId: 'C1',
      platformMessageId: event.ts,
      text: 'hello there',
      sender: { id: 'U0USER', name: 'alice' },
      mentionsAssistant: false,
    });
    expect(new Date(message!.sentAt).getTime()).toBeGreaterThan(0);
  });

  it('marks mentions, DMs and replies in a thread the bot started', async () => {
    fake.inject({ channel: 'C1', text: 'what time is it?', mention: true });
    fake.inject({ channel: 'D1', text: 'private', channelType: 'im' });
    fake.inject({ channel: 'C1', text: 'in thread', threadTs: '100.000001', parentUserId: fake.botUserId });
    fake.inject({ channel: 'C1', text: 'other thread', threadTs: '100.000002', parentUserId: 'U0USER' });
    const messages = await host.waitForStored(4);
    expect(messages.map((m) => m.mentionsAssistant)).toEqual([true, true, true, false]);
    expect(messages[2]).toMatchObject({
      threadId: '100.000001',
      replyTo: { platformMessageId: '100.000001' },
    });
    expect(channel.isMention?.(`<@${fake.botUserId}> hi`)).toBe(true);
    expect(channel.isMention?.('hi @nanoclaw')).toBe(false);
  });

  it('hands a redelivered event (same event_id) to the host again, which dedupes; acks both', async () => {
    const event = fake.inject({ channel: 'C1', text: 'once' });
    await fake.waitForAck(event.envelopeId);
    const retry = fake.redeliver(event);
    await fake.waitForAck(retry.envelopeId);
    expect(host.calls.length).toBe(2);
    // app_mention and message for the same ts count once too
    const mention = fake.inject({ channel: 'C1', text: 'hey', mention: true, asAppMention: true });
    const sameMessage = fake.inject({ channel: 'C1', text: 'hey', mention: true, ts: mention.ts });
    await fake.waitForAck(sameMessage.envelopeId);
    await fake.waitForAck(mention.envelopeId);
    expect(host.stored.map((m) => m.text)).toEqual(['once', `<@${fake.botUserId}> hey`]);
  });

  it('does not acknowledge when receive fails, so the retry delivers it', async () => {
    host.failNextReceive(new Error('database is locked'));
    const event = fake.inject({ channel: 'C1', text: 'retry me' });
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.isAcked(event.envelopeId)).toBe(false);
    const retry = fake.redeliver(event);
    await fake.waitForAck(retry.envelopeId);
    expect(host.stored.map((m) => m.text)).toEqual(['retry me']);
  });

  it("ignores the bot's own messages, other bots and edits", async () => {
    fake.inject({ channel: 'C1', text: 'mine', user: fake.botUserId });
    fake.inject({ channel: 'C1', text: 'from a bot', botId: 'B0OTHER' });
    fake.inject({ channel: 'C1', text: 'edited', subtype: 'message_changed' });
    const last = fake.inject({ channel: 'C1', text: 'human' });
    await fake.waitForAck(last.envelopeId);
    expect(host.stored.map((m) => m.text)).toEqual(['human']);
  });

  it('splits long replies at the limit without breaking words, in the thread', async () => {
    const words = Array.from({ length: 1_500 }, (_, i) => `word${i}`).join(' ');
    const result = await channel.send({
      channel: 'slack',
      accountId: 'default',
      chatId: 'C1',
      threadId: '100.000001',
      text: words,
      idempotencyKey: 'k1',
    });
    const posted = await fake.waitForPosted(3);
    expect(posted.length).toBe(result.platformMessageIds.length);
    expect(posted.every((p) => p.text.length <= 4_000 && p.threadTs === '100.000001')).toBe(true);
    expect(posted.map((p) => p.text).join(' ')).toBe(words);
  });

  it('turns a 429 into retryAfterMs and resumes without re-posting what was sent', async () => {
    const text = `${'a'.repeat(3_000)}\n\n${'b'.repeat(3_000)}`;
    const message = { channel: 'slack', accountId: 'default', chatId: 'C1', text, idempotencyKey: 'k2' };
    fake.rateLimit('chat.postMessage', 7, 1, 1); // the second piece hits the limit
    const error = await channel.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackChannelError);
    expect(ChannelError.isInstance(error)).toBe(true);
    expect((error as SlackChannelError).code).toBe('rate-limited');
    expect((error as SlackChannelError).retryAfterMs).toBe(7_000);
    expect((error as SlackChannelError).permanent).toBeUndefined();
    expect(fake.posted.map((p) => p.text[0])).toEqual(['a']);
    const result = await channel.send(message);
    expect(result.platformMessageIds).toEqual(fake.posted.map((p) => p.ts));
    expect(fake.posted.map((p) => p.text[0])).toEqual(['a', 'b']);
  });

  it('posts Markdown as mrkdwn: escapes, links, bold, no fence language', async () => {
    await channel.send({
      channel: 'slack',
      accountId: 'default',
      chatId: 'C1',
      text: '## Result\n**done** for [the docs](https://example.com/?a=1&b=2) & a<b\n```ts\nif (a < b) {}\n```',
      idempotencyKey: 'k5',
    });
    const [posted] = await fake.waitForPosted(1);
    expect(posted?.text).toBe(
      '*Result*\n*done* for <https://example.com/?a=1&amp;b=2|the docs> &amp; a&lt;b\n```\nif (a &lt; b) {}\n```',
    );
  });

  it('marks errors no retry fixes as permanent', async () => {
    fake.failNext('chat.postMessage', 'channel_not_found');
    const error = (await channel
      .send({ channel: 'slack', accountId: 'default', chatId: 'C404', text: 'x', idempotencyKey: 'k3' })
      .catch((e: unknown) => e)) as SlackChannelError;
    expect(error.permanent).toBe(true);
    expect(error.slackError).toBe('channel_not_found');
  });

  it('uploads attachments with the external upload flow and hands inbound files over', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slack-att-'));
    await writeFile(path.join(dir, 'report.txt'), 'file body');
    const sender = createSlackChannel({
      botToken: fake.botToken,
      appToken: fake.appToken,
      apiUrl: fake.apiUrl,
      attachmentRoot: dir,
    });
    // send() needs no socket
    const result = await sender.send({
      channel: 'slack',
      accountId: 'default',
      chatId: 'C1',
      threadId: '100.000009',
      text: 'see attached',
      attachments: [{ name: 'report.txt', mimeType: 'text/plain', sizeBytes: 9, ref: 'report.txt' }],
      idempotencyKey: 'k4',
    });
    expect(result.platformMessageIds).toHaveLength(2);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]).toMatchObject({
      filename: 'report.txt',
      channelId: 'C1',
      threadTs: '100.000009',
    });
    expect(fake.uploads[0]?.bytes.toString()).toBe('file body');

    fake.inject({
      channel: 'C1',
      text: 'here is a picture',
      files: [{ name: 'cat.png', mimeType: 'image/png', content: 'PNG...' }],
    });
    const [message] = await host.waitForStored(1);
    expect(message?.attachments).toEqual([
      { name: 'cat.png', mimeType: 'image/png', sizeBytes: 6, ref: expect.stringContaining('/files/') },
    ]);
    const bytes = await channel.downloadAttachment(message!.attachments![0]!.ref);
    expect(Buffer.from(bytes).toString()).toBe('PNG...');
    await expect(
      channel.downloadAttachment(message!.attachments![0]!.ref, { maxBytes: 5 }),
    ).rejects.toMatchObject({
      name: 'AttachmentTooLargeError',
      permanent: true,
    });
    await expect(channel.downloadAttachment('https://evil.example/x')).rejects.toThrow(/refusing/);
  });

  it('reconnects after a dropped connection and after a disconnect message', async () => {
    fake.dropConnections();
    await fake.waitForConnections(2);
    const first = fake.inject({ channel: 'C1', text: 'after drop' });
    await fake.waitForAck(first.envelopeId);
    fake.sendDisconnect('refresh_requested');
    await fake.waitForConnections(3);
    const second = fake.inject({ channel: 'C1', text: 'after refresh' });
    await fake.waitForAck(second.envelopeId);
    expect(host.stored.map((m) => m.text)).toEqual(['after drop', 'after refresh']);
  });
});

describe('slackChannel factory', () => {
  it('skips without credentials and names what is missing', () => {
    const result = slackChannel.create({ accountId: 'default', env: {}, logger: silent });
    expect(result).toEqual({ skipped: 'SLACK_BOT_TOKEN and SLACK_APP_TOKEN not set' });
    expect(slackChannel.requiredEnv).toEqual(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']);
  });

  it('rejects tokens of the wrong kind', () => {
    const env = { SLACK_BOT_TOKEN: 'xapp-1', SLACK_APP_TOKEN: 'xapp-2' };
    expect(slackChannel.create({ accountId: 'default', env, logger: silent })).toEqual({
      skipped: expect.stringContaining('xoxb'),
    });
  });

  it('creates an adapter from env', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-2',
      SLACK_API_URL: 'http://127.0.0.1:1/api',
    };
    const adapter = slackChannel.create({ accountId: 'work', env, logger: silent });
    expect(adapter).toMatchObject({ channel: 'slack', accountId: 'work', limits: { maxTextLength: 4_000 } });
  });
});
