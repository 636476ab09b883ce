import { describe, expect, it } from 'vitest';
import { mentionsUser, toInboundMessage, tsToIso } from './slack-inbound.js';

const base = { channel: 'slack', accountId: 'default', botUserId: 'UBOT', botId: 'BBOT' };

describe('toInboundMessage', () => {
  it('maps a channel message', () => {
    const verdict = toInboundMessage(
      { type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1700000000.000100' },
      base,
    );
    expect(verdict).toEqual({
      kind: 'message',
      message: {
        channel: 'slack',
        accountId: 'default',
        chatId: 'C1',
        platformMessageId: '1700000000.000100',
        sender: { id: 'U1' },
        text: 'hi',
        sentAt: '2023-11-14T22:13:20.000Z',
        mentionsAssistant: false,
      },
    });
  });

  it('keeps thread replies in their thread but not a thread root', () => {
    const reply = toInboundMessage(
      { type: 'message', channel: 'C1', user: 'U1', text: 'r', ts: '2.0', thread_ts: '1.0' },
      base,
    );
    expect(reply.kind === 'message' && reply.message.threadId).toBe('1.0');
    const root = toInboundMessage(
      { type: 'message', channel: 'C1', user: 'U1', text: 'r', ts: '1.0', thread_ts: '1.0' },
      base,
    );
    expect(root.kind === 'message' && root.message.threadId).toBeUndefined();
  });

  it('ignores own messages, other bots unless allowed, and non-conversational subtypes', () => {
    expect(toInboundMessage({ type: 'message', channel: 'C', user: 'UBOT', ts: '1.0' }, base).kind).toBe(
      'ignore',
    );
    expect(toInboundMessage({ type: 'message', channel: 'C', bot_id: 'BBOT', ts: '1.0' }, base).kind).toBe(
      'ignore',
    );
    const other = {
      type: 'message',
      subtype: 'bot_message',
      channel: 'C',
      bot_id: 'B2',
      ts: '1.0',
      text: 'x',
    };
    expect(toInboundMessage(other, base).kind).toBe('ignore');
    const allowed = toInboundMessage(other, { ...base, allowBots: true });
    expect(allowed.kind === 'message' && allowed.message.sender).toEqual({ id: 'B2', isBot: true });
    expect(
      toInboundMessage({ type: 'message', subtype: 'channel_join', channel: 'C', user: 'U', ts: '1.0' }, base)
        .kind,
    ).toBe('ignore');
  });

  it('detects the mention entity, with or without a label', () => {
    expect(mentionsUser('<@UBOT> hi', 'UBOT')).toBe(true);
    expect(mentionsUser('hi <@UBOT|nanoclaw>', 'UBOT')).toBe(true);
    expect(mentionsUser('hi <@UBOTX>', 'UBOT')).toBe(false);
    expect(mentionsUser('hi', undefined)).toBe(false);
  });

  it('converts Slack timestamps', () => {
    expect(tsToIso('1700000000.500000')).toBe('2023-11-14T22:13:20.500Z');
  });
});
