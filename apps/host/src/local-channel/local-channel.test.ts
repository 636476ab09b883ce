import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type InboundMessageInput,
  inboundMessageSchema,
  silentLogger as silent,
} from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../host-api.js';
import { createHostEventBus } from './host-event-bus.js';
import { createLocalChannel } from './local-channel.js';

function setup() {
  const bus = createHostEventBus();
  const events: HostEvent[] = [];
  bus.subscribe('*', (event) => events.push(event));
  const received: InboundMessageInput[] = [];
  const channel = createLocalChannel({
    bus,
    now: () => new Date('2030-01-02T03:04:05.000Z'),
    newId: () => 'abc',
  });
  const host = {
    logger: silent,
    receiveAction: async () => ({ accepted: false, text: 'no cards here' }),
    receive: async (message: InboundMessageInput) => {
      received.push(message);
      return { duplicate: false };
    },
  };
  return { bus, events, received, channel, host };
}

describe('createLocalChannel', () => {
  it('describes itself as the local channel', () => {
    const { channel } = setup();
    expect(channel.specificationVersion).toBe(CHANNEL_ADAPTER_SPEC_VERSION);
    expect(channel.channel).toBe('local');
    expect(channel.accountId).toBe('default');
    expect(channel.limits).toEqual({ maxTextLength: 100_000, attachments: false, typingIndicator: false });
  });

  it('publishes a reply event for each message it sends', async () => {
    const { channel, events, host } = setup();
    await channel.start(host);
    const result = await channel.send({
      channel: 'local',
      accountId: 'default',
      chatId: 'main',
      text: 'the answer',
      replyToPlatformMessageId: 'local-abc',
      idempotencyKey: 'out-1',
    });
    expect(result).toEqual({ platformMessageIds: ['local-out-out-1'] });
    expect(events).toEqual([
      {
        type: 'reply',
        folder: 'main',
        text: 'the answer',
        inReplyTo: ['local-abc'],
        chat: 'local:default:main',
      },
    ]);
  });

  it('uses the host’s mapping for inReplyTo and names attachments it cannot carry', async () => {
    const bus = createHostEventBus();
    const events: HostEvent[] = [];
    bus.subscribe('family', (event) => events.push(event));
    const channel = createLocalChannel({ bus, resolveInReplyTo: async () => ['m-1', 'm-2'] });
    await channel.send({
      channel: 'local',
      accountId: 'default',
      chatId: 'family',
      text: 'see the chart',
      attachments: [{ name: 'chart.png', mimeType: 'image/png', sizeBytes: 10, ref: 'out/chart.png' }],
      idempotencyKey: 'k',
    });
    expect(events[0]).toMatchObject({
      inReplyTo: ['m-1', 'm-2'],
      text: 'see the chart\n[attachment: out/chart.png]',
    });
  });

  it('sends the parts of a long reply as parts, each answering what the first one answers', async () => {
    const { bus, events } = setup();
    const asked: string[] = [];
    const channel = createLocalChannel({
      bus,
      resolveInReplyTo: (message) => {
        asked.push(message.idempotencyKey);
        return message.idempotencyKey === 'reply:r1' ? ['m-1', 'm-2'] : [];
      },
    });
    const part = (index: number) => ({
      channel: 'local',
      accountId: 'default',
      chatId: 'main',
      text: `part ${index}`,
      idempotencyKey: index === 1 ? 'reply:r1' : `reply:r1#${index}`,
      part: { index, count: 3, of: 'reply:r1' },
    });
    for (const index of [1, 2, 3]) await channel.send(part(index));
    expect(events.map((e) => (e.type === 'reply' ? [e.text, e.inReplyTo, e.part] : e))).toEqual([
      ['part 1', ['m-1', 'm-2'], { index: 1, count: 3 }],
      ['part 2', ['m-1', 'm-2'], { index: 2, count: 3 }],
      ['part 3', ['m-1', 'm-2'], { index: 3, count: 3 }],
    ]);
    expect(asked).toEqual(['reply:r1']);
  });

  it('delivers inbound messages to the host as valid local messages', async () => {
    const { channel, received, host } = setup();
    await expect(channel.deliver('main', { text: 'hi' })).rejects.toThrow(/not started/);
    await channel.start(host);
    const delivery = await channel.deliver('main', { text: 'hi', sender: 'ana', mentionsAssistant: true });
    expect(delivery).toMatchObject({ platformMessageId: 'local-abc', duplicate: false });
    expect(received).toEqual([
      {
        channel: 'local',
        accountId: 'default',
        chatId: 'main',
        platformMessageId: 'local-abc',
        sender: { id: 'ana', name: 'ana' },
        text: 'hi',
        sentAt: '2030-01-02T03:04:05.000Z',
        mentionsAssistant: true,
      },
    ]);
    expect(inboundMessageSchema.safeParse(received[0]).success).toBe(true);
    await channel.stop();
    await expect(channel.deliver('main', { text: 'again' })).rejects.toThrow(/not started/);
  });
});
