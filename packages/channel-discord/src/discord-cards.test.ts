import {
  type ContractHost,
  createContractHost,
  type LogLine,
  memoryLogger,
  silentLogger,
} from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cardComponents, truncate } from './discord-cards.js';
import { createDiscordChannel, type DiscordChannel } from './discord-channel.js';
import { DiscordChannelError } from './discord-errors.js';
import { type FakeDiscord, startFakeDiscord } from './fake-discord.js';

const GENERAL = '400000000000000001';
const THREAD = '500000000000000001';
const ALICE = { id: '200000000000000001', name: 'Alice' };

function card(options: number, overrides: { chatId?: string; threadId?: string; text?: string } = {}) {
  return {
    channel: 'discord',
    accountId: 'default',
    chatId: overrides.chatId ?? GENERAL,
    ...(overrides.threadId ? { threadId: overrides.threadId } : {}),
    text: overrides.text ?? 'Let Bob talk to the agent?',
    options: Array.from({ length: options }, (_, i) => ({
      label: `Option ${i + 1}`,
      data: `nc1:opt${i + 1}`,
    })),
  };
}

describe('discord cards and direct chats against the loopback fake', () => {
  let fake: FakeDiscord;
  let channel: DiscordChannel;
  let host: ContractHost;
  let logs: LogLine[];

  beforeEach(async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 1_000 });
    host = createContractHost();
    logs = [];
    channel = createDiscordChannel({
      token: fake.token,
      apiUrl: fake.apiUrl,
      logger: memoryLogger(logs),
      unthrottledIdentify: true,
    });
    await channel.start(host);
  });

  afterEach(async () => {
    await channel.stop();
    await fake.close();
  });

  it('shows a card as one message with its buttons in order, five a row, the first one primary', async () => {
    const sent = await channel.sendCard(card(7));
    expect(fake.cards).toEqual([
      {
        chatId: GENERAL,
        platformMessageId: sent.platformMessageIds[0],
        text: 'Let Bob talk to the agent?',
        buttons: card(7).options,
        styles: [1, 2, 2, 2, 2, 2, 2],
      },
    ]);
    const rows = fake.posted[0]?.components as Array<{ type: number; components: unknown[] }>;
    expect(rows.map((row) => [row.type, row.components.length])).toEqual([
      [1, 5],
      [1, 2],
    ]);
  });

  it('cuts a card text over 2,000 characters with an ellipsis and posts a thread card into the thread', async () => {
    await channel.sendCard(card(2, { threadId: THREAD, text: 'x'.repeat(2_500) }));
    const [sent] = fake.cards;
    expect(sent).toMatchObject({ chatId: GENERAL, threadId: THREAD });
    expect(sent?.text).toHaveLength(2_000);
    expect(sent?.text.endsWith('…')).toBe(true);
    expect(fake.posted[0]?.channelId).toBe(THREAD);
  });

  it('refuses a card without options or with more than ten, for good', async () => {
    for (const count of [0, 11]) {
      const error = await channel.sendCard(card(count)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiscordChannelError);
      expect((error as DiscordChannelError).permanent).toBe(true);
    }
    expect(fake.posted).toHaveLength(0);
  });

  it('relays a tap with who tapped where, and shows the answer to the tapper only', async () => {
    host.answerActions((action) => ({ accepted: true, text: `Approved (${action.data})` }));
    const sent = await channel.sendCard(card(2));
    const tap = fake.tap({
      card: { platformMessageId: sent.platformMessageIds[0] ?? '' },
      data: 'nc1:opt1',
      user: ALICE,
    });
    expect(await tap.answered()).toBe('Approved (nc1:opt1)');
    expect(host.actions).toEqual([
      {
        channel: 'discord',
        accountId: 'default',
        chatId: GENERAL,
        platformActionId: tap.platformActionId,
        platformMessageId: sent.platformMessageIds[0],
        user: { id: ALICE.id, name: 'Alice' },
        data: 'nc1:opt1',
      },
    ]);
    expect(fake.interactionAnswers).toEqual([
      { interactionId: tap.platformActionId, type: 4, content: 'Approved (nc1:opt1)', ephemeral: true },
    ]);
  });

  it('names the parent channel as the chat of a tap in a thread', async () => {
    const sent = await channel.sendCard(card(2, { threadId: THREAD }));
    const tap = fake.tap({
      card: { platformMessageId: sent.platformMessageIds[0] ?? '' },
      data: 'nc1:opt2',
      user: ALICE,
    });
    await tap.answered();
    expect(host.actions[0]).toMatchObject({ chatId: GENERAL, data: 'nc1:opt2' });
  });

  it('hands a replayed tap over again and logs, without crashing, that Discord refuses a second answer', async () => {
    const sent = await channel.sendCard(card(2));
    const tap = fake.tap({
      card: { platformMessageId: sent.platformMessageIds[0] ?? '' },
      data: 'nc1:opt1',
      user: ALICE,
    });
    await tap.answered();
    fake.replayTap(tap);
    await expect.poll(() => logs.some((l) => l.bindings.code === 40060)).toBe(true);
    expect(host.actions.map((a) => a.platformActionId)).toEqual([tap.platformActionId, tap.platformActionId]);
    expect(fake.interactionAnswers).toHaveLength(1);
  });

  it('tells the tapper to try again when the host cannot take the tap', async () => {
    host.answerActions(() => {
      throw new Error('database is locked');
    });
    const sent = await channel.sendCard(card(2));
    const tap = fake.tap({
      card: { platformMessageId: sent.platformMessageIds[0] ?? '' },
      data: 'nc1:opt1',
      user: ALICE,
    });
    expect(await tap.answered()).toMatch(/try again/);
  });

  it('drops malformed or foreign interactions with a log line, and keeps working', async () => {
    const sent = await channel.sendCard(card(2));
    const cardRef = { platformMessageId: sent.platformMessageIds[0] ?? '' };
    const first = fake.tap({ card: cardRef, data: 'nc1:opt1', user: ALICE });
    await first.answered();
    const base = first.payload;
    const member = base.member as { user: Record<string, unknown> };
    const variants: Array<Record<string, unknown>> = [
      { ...base, data: { component_type: 2 } },
      { ...base, type: 99 },
      { ...base, data: { custom_id: 'nc1:opt1', component_type: 3, values: ['a'] } },
      { ...base, member: { ...member, user: { ...member.user, id: '200000000000000077', bot: true } } },
      { ...base, member: { ...member, user: { ...member.user, id: fake.botUserId, bot: true } } },
      { ...base, channel: undefined, channel_id: undefined },
      { ...base, data: undefined },
      { ...base, member: undefined },
      { id: '1' },
    ];
    for (const [i, variant] of variants.entries()) {
      fake.dispatchInteraction({ ...variant, id: `90000000000000000${i}`, token: `malformed-${i}` });
    }
    fake.inject({ channelId: GENERAL, content: 'still listening' });
    const last = fake.tap({ card: cardRef, data: 'nc1:opt2', user: ALICE });
    expect(await last.answered()).toBe('ok: nc1:opt2');
    await host.waitForStored(1);
    expect(host.actions.map((a) => a.data)).toEqual(['nc1:opt1', 'nc1:opt2']);
    expect(fake.interactionAnswers).toHaveLength(2);
    const dropped = logs.filter((l) => /tap ignored|malformed interaction/.test(l.message));
    expect(dropped.map((l) => l.bindings.reason ?? 'malformed')).toEqual([
      'button tap without a custom_id',
      'button tap by another bot',
      'button tap by the bot itself',
      'button tap without a channel',
      'malformed',
      'malformed',
    ]);
  });

  it('opens the same direct chat for a user every time, where messages and taps then flow', async () => {
    const chatId = await channel.openDirectChat('200000000000000005');
    expect(await channel.openDirectChat('200000000000000005')).toBe(chatId);
    expect(fake.isDirectChatWith(chatId, '200000000000000005')).toBe(true);
    expect(fake.directChatId('200000000000000005')).toBe(chatId);
    const sent = await channel.sendCard(card(2, { chatId }));
    const tap = fake.tap({
      card: { platformMessageId: sent.platformMessageIds[0] ?? '' },
      data: 'nc1:opt2',
      user: { id: '200000000000000005', name: 'Owner' },
    });
    await tap.answered();
    expect(host.actions[0]).toMatchObject({ chatId, user: { id: '200000000000000005', name: 'Owner' } });
    fake.inject({ channelId: chatId, content: 'hi from the DM', authorId: '200000000000000005' });
    const [message] = await host.waitForStored(1);
    expect(message).toMatchObject({ chatId, mentionsAssistant: true, text: 'hi from the DM' });
  });

  it('rejects openDirectChat when Discord refuses the DM', async () => {
    fake.failNext('POST /users/:id/channels', {
      status: 400,
      code: 50007,
      message: 'Cannot send messages to this user',
    });
    const error = await channel.openDirectChat('200000000000000006').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordChannelError);
    expect(error).toMatchObject({ discordCode: 50007, permanent: true });
  });
});

describe('card building', () => {
  it('keeps a 64-byte custom_id verbatim and cuts labels to Discord’s 80 characters', () => {
    const data = 'n'.repeat(64);
    const [row] = cardComponents([{ label: 'l'.repeat(100), data }]);
    expect(row?.components[0]).toMatchObject({ type: 2, custom_id: data, label: `${'l'.repeat(79)}…` });
  });

  it('truncates by characters, not UTF-16 halves', () => {
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect(truncate('short', 10)).toBe('short');
  });

  it('is not started: openDirectChat rejects', async () => {
    const idle = createDiscordChannel({ token: 't', logger: silentLogger() });
    await expect(idle.openDirectChat('1')).rejects.toBeInstanceOf(DiscordChannelError);
  });
});
