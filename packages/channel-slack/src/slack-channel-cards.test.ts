import type { CardAction, CardActionResult } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { approvalCard, useSlackTestWorld } from './test-utils.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('slack cards and direct chats against the loopback fake', () => {
  const world = useSlackTestWorld();

  const sendApproval = async (extra: { threadId?: string } = {}) => {
    const { channel, fake } = world;
    const sent = await channel.sendCard?.(approvalCard(extra));
    const [card] = await fake.waitForCards(1);
    if (!sent || !card) throw new Error('no card');
    return { sent, card };
  };

  it('shows the card as text with buttons in order, and a plain fallback for notifications', async () => {
    const { fake } = world;
    const { sent, card } = await sendApproval({ threadId: '50.000001' });
    expect(sent.platformMessageIds).toEqual([card.platformMessageId]);
    expect(card).toMatchObject({
      chatId: 'C1',
      text: 'Let Bob & friends talk to the agent?',
      fallbackText: 'Let Bob &amp; friends talk to the agent?',
      threadTs: '50.000001',
      buttons: approvalCard().options,
    });
    expect(fake.posted).toEqual([]);
  });

  it('hands a tap to receiveAction, acks after it resolved, and shows the answer to the tapper only', async () => {
    const { fake, host } = world;
    const { card } = await sendApproval({ threadId: '50.000001' });
    let release: (result: CardActionResult) => void = () => undefined;
    host.receiveAction = async (action: CardAction) => {
      (host.actions as CardAction[]).push(action);
      return new Promise<CardActionResult>((resolve) => {
        release = resolve;
      });
    };
    const tap = fake.tap({ card, data: 'nc1:yes', user: { id: 'U7', name: 'Bob' } });
    await expect.poll(() => host.actions.length).toBe(1);
    await sleep(150);
    expect(fake.isAcked(tap.envelopeId)).toBe(false);
    expect(host.actions[0]).toEqual({
      channel: 'slack',
      accountId: 'default',
      chatId: 'C1',
      platformActionId: tap.platformActionId,
      platformMessageId: card.platformMessageId,
      user: { id: 'U7', name: 'Bob' },
      data: 'nc1:yes',
    });
    release({ accepted: true, text: 'Approved <Bob>' });
    await fake.waitForAck(tap.envelopeId);
    expect(await tap.answered()).toBe('Approved <Bob>');
    expect(fake.ephemerals).toEqual([
      expect.objectContaining({ channel: 'C1', user: 'U7', threadTs: '50.000001' }),
    ]);
  });

  it('relays a replayed tap with the same id and a forged value verbatim', async () => {
    const { fake, host } = world;
    const { card } = await sendApproval();
    host.answerActions((action) => ({ accepted: false, text: `refused ${action.data}` }));
    const first = fake.tap({ card, data: 'nc1:yes', user: { id: 'U7' } });
    expect(await first.answered()).toBe('refused nc1:yes');
    const replay = fake.replayTap(first);
    expect(await replay.answered()).toBe('refused nc1:yes');
    const forged = fake.tap({ card, data: 'nc1:forged', user: { id: 'U8' } });
    expect(await forged.answered()).toBe('refused nc1:forged');
    expect(host.actions.map((a) => [a.platformActionId, a.data, a.user.id])).toEqual([
      [first.platformActionId, 'nc1:yes', 'U7'],
      [first.platformActionId, 'nc1:yes', 'U7'],
      [forged.platformActionId, 'nc1:forged', 'U8'],
    ]);
    expect(forged.platformActionId).not.toBe(first.platformActionId);
  });

  it('acks and ignores malformed interactive payloads, and keeps handling taps', async () => {
    const { fake, host } = world;
    const { card } = await sendApproval();
    const good = fake.tap({ card, data: 'nc1:yes', user: { id: 'U7' } });
    const payload = good.payload as Record<string, unknown> & { actions: Record<string, unknown>[] };
    const malformed = [
      { ...payload, actions: [] },
      { ...payload, actions: undefined },
      { ...payload, actions: [{ ...payload.actions[0], value: undefined }] },
      { ...payload, type: 'view_submission' },
      { type: 'message_action', callback_id: 'x' },
      { ...payload, user: { id: fake.botUserId } },
      { ...payload, user: 'U7', channel: 42 },
    ];
    const envelopes = malformed.map((p) => fake.sendInteractive(p));
    for (const envelopeId of envelopes) await fake.waitForAck(envelopeId);
    await good.answered();
    const after = fake.tap({ card, data: 'nc1:no', user: { id: 'U9' } });
    expect(await after.answered()).toBe('ok: nc1:no');
    expect(host.actions.map((a) => a.data)).toEqual(['nc1:yes', 'nc1:no']);
    expect(fake.ephemerals).toHaveLength(2);
  });

  it('leaves a tap unacknowledged when receiveAction fails, with no answer shown', async () => {
    const { fake, host } = world;
    const { card } = await sendApproval();
    host.receiveAction = async () => {
      throw new Error('database is locked');
    };
    const tap = fake.tap({ card, data: 'nc1:yes', user: { id: 'U7' } });
    await sleep(200);
    expect(fake.isAcked(tap.envelopeId)).toBe(false);
    expect(fake.ephemerals).toEqual([]);
  });

  it('acks the tap even when its answer cannot be shown', async () => {
    const { fake } = world;
    const { card } = await sendApproval();
    fake.failNext('chat.postEphemeral', 'user_not_in_channel');
    const tap = fake.tap({ card, data: 'nc1:yes', user: { id: 'U7' } });
    await fake.waitForAck(tap.envelopeId);
    await expect.poll(() => fake.calls.filter((c) => c.method === 'chat.postEphemeral').length).toBe(1);
    expect(fake.ephemerals).toEqual([]);
  });

  it('opens one stable DM channel per user, which receives and sends like any chat', async () => {
    const { fake, channel, host } = world;
    const chatId = await channel.openDirectChat?.('U7');
    expect(chatId).toBe(fake.directChannelOf('U7'));
    expect(await channel.openDirectChat?.('U7')).toBe(chatId);
    expect(await channel.openDirectChat?.('U8')).not.toBe(chatId);
    if (!chatId) throw new Error('no DM');
    fake.inject({ channel: chatId, user: 'U7', text: 'hello from my DM' });
    const [message] = await host.waitForStored(1);
    expect(message).toMatchObject({ chatId, sender: { id: 'U7' }, mentionsAssistant: true });
    await channel.send({ channel: 'slack', accountId: 'default', chatId, text: 'hi', idempotencyKey: 'k' });
    expect(fake.posted).toEqual([expect.objectContaining({ channel: chatId, text: 'hi' })]);
  });

  it('rejects openDirectChat for a user Slack cannot reach, for good', async () => {
    const { fake, channel } = world;
    fake.failNext('conversations.open', 'user_not_found');
    await expect(channel.openDirectChat?.('U404')).rejects.toMatchObject({
      permanent: true,
      slackError: 'user_not_found',
    });
  });
});
