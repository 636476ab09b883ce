import type { OutboundCard } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { SLACK_SECTION_TEXT_MAX, toCardAction, toSlackCardMessage, truncate } from './slack-cards.js';
import { SlackChannelError } from './slack-errors.js';
import { approvalCard } from './test-utils.js';

const card = (extra: Partial<OutboundCard> = {}) =>
  approvalCard({ text: 'Let <stranger> & co talk?', ...extra });

const options = { channel: 'slack', accountId: 'default', botUserId: 'UBOT' };

const tap = (extra: Record<string, unknown> = {}) => ({
  type: 'block_actions',
  user: { id: 'U1', username: 'alice', name: 'alice' },
  channel: { id: 'C1' },
  container: { type: 'message', message_ts: '100.000001', channel_id: 'C1' },
  message: { ts: '100.000001' },
  actions: [{ type: 'button', action_id: 'nanoclaw-card-0', value: 'nc1:a', action_ts: '101.000002' }],
  trigger_id: '1.2.abc',
  ...extra,
});

describe('toSlackCardMessage', () => {
  it('is a plain-text section and one button per option, in order, with unique action ids', () => {
    const message = toSlackCardMessage(card());
    expect(message.text).toBe('Let &lt;stranger&gt; &amp; co talk?');
    expect(message.blocks).toEqual([
      { type: 'section', text: { type: 'plain_text', text: 'Let <stranger> & co talk?', emoji: true } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'nanoclaw-card-0',
            text: { type: 'plain_text', text: 'Approve', emoji: true },
            value: 'nc1:yes',
          },
          {
            type: 'button',
            action_id: 'nanoclaw-card-1',
            text: { type: 'plain_text', text: 'Reject', emoji: true },
            value: 'nc1:no',
          },
        ],
      },
    ]);
  });

  it('cuts text past the section limit and long labels with an ellipsis', () => {
    const message = toSlackCardMessage(
      card({ text: 'y'.repeat(5_000), options: [{ label: 'L'.repeat(100), data: 'd' }] }),
    );
    const [section, actions] = message.blocks as unknown as [
      { text: { text: string } },
      { elements: { text: { text: string } }[] },
    ];
    expect(section.text.text).toHaveLength(SLACK_SECTION_TEXT_MAX);
    expect(section.text.text.endsWith('y…')).toBe(true);
    expect(actions.elements[0]?.text.text).toHaveLength(75);
  });

  it('refuses for good a card without options, with over 10, or with data past 64 ASCII bytes', () => {
    const refused = (extra: Partial<OutboundCard>) => {
      try {
        toSlackCardMessage(card(extra));
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const option = { label: 'x', data: 'd' };
    for (const bad of [
      { options: [] },
      { options: Array.from({ length: 11 }, () => option) },
      { options: [{ label: 'x', data: 'd'.repeat(65) }] },
      { options: [{ label: 'x', data: 'é' }] },
    ]) {
      const error = refused(bad);
      expect(error).toBeInstanceOf(SlackChannelError);
      expect(error).toMatchObject({ permanent: true });
    }
    expect(refused({ options: [{ label: 'x', data: 'd'.repeat(64) }] })).toBeUndefined();
  });
});

describe('truncate', () => {
  it('keeps short text and never splits a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });
});

describe('toCardAction', () => {
  it('maps a button tap: chat, card message, tapper, value verbatim, an id stable across redeliveries', () => {
    expect(toCardAction(tap(), options)).toEqual({
      kind: 'action',
      action: {
        channel: 'slack',
        accountId: 'default',
        chatId: 'C1',
        platformActionId: '100.000001:101.000002',
        platformMessageId: '100.000001',
        user: { id: 'U1', name: 'alice' },
        data: 'nc1:a',
      },
    });
  });

  it('keeps the thread of a card in a thread, and falls back to trigger_id without action_ts', () => {
    const verdict = toCardAction(
      tap({
        message: { ts: '100.000001', thread_ts: '99.000001' },
        actions: [{ value: 'nc1:a' }],
      }),
      options,
    );
    expect(verdict).toMatchObject({
      kind: 'action',
      threadTs: '99.000001',
      action: { platformActionId: '1.2.abc' },
    });
  });

  it('ignores, without throwing, payloads that are no tap on a button', () => {
    const reasons = [
      null,
      'text',
      tap({ type: 'view_submission' }),
      tap({ type: 'shortcut' }),
      tap({ actions: [] }),
      tap({ actions: 'nope' }),
      tap({ actions: [null] }),
      tap({ actions: [{ action_id: 'x', action_ts: '1.0' }] }),
      tap({ actions: [{ value: 42, action_ts: '1.0' }] }),
      tap({ user: undefined }),
      tap({ user: { id: 7 } }),
      tap({ channel: undefined, container: undefined }),
      tap({ user: { id: 'UBOT' } }),
      tap({ actions: [{ value: 'x' }], trigger_id: undefined }),
    ].map((payload) => {
      const verdict = toCardAction(payload, options);
      expect(verdict.kind).toBe('ignore');
      return verdict.kind === 'ignore' ? verdict.reason : '';
    });
    expect(reasons).toContain('payload type view_submission');
    expect(reasons).toContain('no actions');
    expect(reasons).toContain('an action without a value');
    expect(reasons).toContain('a tap as the bot itself');
  });
});
