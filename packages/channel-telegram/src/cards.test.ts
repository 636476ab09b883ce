import type { OutboundCard } from '@nanoclaw/core';
import { type ContractHost, createContractHost, waitFor } from '@nanoclaw/testing';
import type { CallbackQuery, Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toCardAction, truncateText } from './cards.js';
import { createFakeTelegramServer, type FakeTelegramServer } from './fake-telegram-server.js';
import { createTelegramChannel, type TelegramChannel } from './telegram-channel.js';

const CHAT = '-100777';

/** Waits until `check` holds (5 s), failing the test otherwise. */
async function until(check: () => boolean): Promise<void> {
  expect(await waitFor(check)).toBe(true);
}

const card = (extra: Partial<OutboundCard> = {}): OutboundCard => ({
  channel: 'telegram',
  accountId: 'default',
  chatId: CHAT,
  text: 'Let Bob talk to the agent?',
  options: [
    { label: 'Approve', data: 'nc1:a' },
    { label: 'Reject', data: 'nc1:r' },
    { label: 'Ask me later', data: 'nc1:l' },
  ],
  ...extra,
});

const query = (extra: Partial<CallbackQuery> = {}): CallbackQuery => ({
  id: 'q1',
  from: { id: 7, is_bot: false, first_name: 'Bob', last_name: 'Stone' },
  chat_instance: 'i',
  message: { message_id: 12, date: 0, chat: { id: -100, type: 'supergroup', title: 'G' } },
  data: 'nc1:a',
  ...extra,
});

describe('toCardAction', () => {
  it('maps a tap to the card, the tapper and the data, verbatim', () => {
    expect(toCardAction(query(), 'work')).toEqual({
      action: {
        channel: 'telegram',
        accountId: 'work',
        chatId: '-100',
        platformActionId: 'q1',
        platformMessageId: '12',
        user: { id: '7', name: 'Bob Stone', isBot: false },
        data: 'nc1:a',
      },
    });
  });

  it('says why a query is not a card tap: no data, no message, no sender', () => {
    expect(toCardAction(query({ data: undefined, game_short_name: 'g' }), 'a')).toHaveProperty('ignored');
    expect(toCardAction(query({ message: undefined, inline_message_id: 'im' }), 'a')).toHaveProperty(
      'ignored',
    );
    expect(toCardAction({ ...query(), from: undefined } as unknown as CallbackQuery, 'a')).toHaveProperty(
      'ignored',
    );
  });

  it('relays a tap from a bot marked as one (the host decides)', () => {
    const mapped = toCardAction(query({ from: { id: 9, is_bot: true, first_name: 'Other bot' } }), 'a');
    expect(mapped).toMatchObject({ action: { user: { id: '9', isBot: true } } });
  });
});

describe('truncateText', () => {
  it('keeps short text and cuts long text to the limit with an ellipsis', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('a'.repeat(300), 200)).toBe(`${'a'.repeat(199)}…`);
  });

  it('never leaves half of a surrogate pair', () => {
    const cut = truncateText(`${'a'.repeat(8)}😀😀`, 10);
    expect(cut).toBe(`${'a'.repeat(8)}…`);
    expect(cut.length).toBeLessThanOrEqual(10);
  });
});

describe('telegram adapter against the fake Bot API', () => {
  let server: FakeTelegramServer;
  let channel: TelegramChannel;
  let host: ContractHost;

  beforeEach(async () => {
    server = await createFakeTelegramServer();
    channel = createTelegramChannel({
      token: server.token,
      apiRoot: server.url,
      backoff: { baseMs: 10, maxMs: 50 },
    });
    host = createContractHost();
    await channel.start(host);
  });

  afterEach(async () => {
    await channel.stop();
    await server.close();
  });

  describe('telegram cards', () => {
    it('sends the text with one button per row, in the order given, in the topic', async () => {
      const sent = await channel.sendCard(card({ threadId: '5' }));
      const [shown] = server.cards;
      expect(sent.platformMessageIds).toEqual([shown?.platformMessageId]);
      expect(shown).toMatchObject({ chatId: CHAT, text: 'Let Bob talk to the agent?', threadId: 5 });
      expect(shown?.rows).toEqual([['Approve'], ['Reject'], ['Ask me later']]);
      expect(shown?.buttons).toEqual(card().options);
      expect(server.sent).toEqual([]);
    });

    it('cuts a card text over 4096 characters with an ellipsis', async () => {
      await channel.sendCard(card({ text: 'word '.repeat(1000) }));
      const text = server.cards[0]?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text.endsWith('word…')).toBe(true);
    });

    it('refuses, permanently and without sending, what Telegram would refuse', async () => {
      const many = Array.from({ length: 11 }, (_, i) => ({ label: `Option ${i}`, data: `d${i}` }));
      for (const bad of [
        card({ options: many }),
        card({ options: [] }),
        card({ options: [{ label: 'Go', data: 'x'.repeat(65) }] }),
        card({ options: [{ label: 'Go', data: 'café' }] }),
        card({ options: [{ label: ' ', data: 'ok' }] }),
        card({ text: '  ' }),
      ]) {
        await expect(channel.sendCard(bad)).rejects.toMatchObject({ permanent: true });
      }
      expect(server.cards).toEqual([]);
    });

    it('shows an accepted answer as a toast and a refusal as an alert, to the tapper', async () => {
      await channel.sendCard(card());
      const [shown] = server.cards;
      if (!shown) throw new Error('no card');
      host.answerActions((action) =>
        action.data === 'nc1:a'
          ? { accepted: true, text: 'Approved: Bob may talk to the agent' }
          : { accepted: false, text: 'Only the owner can decide' },
      );
      const approve = server.tap({ card: shown, label: 'Approve', user: { id: 1, first_name: 'Owner' } });
      expect(await approve.answered()).toBe('Approved: Bob may talk to the agent');
      expect(approve.answer()?.showAlert).toBe(false);
      const stranger = server.tap({ card: shown, label: 'Reject', user: { id: 2, first_name: 'Eve' } });
      expect(await stranger.answered()).toBe('Only the owner can decide');
      expect(stranger.answer()?.showAlert).toBe(true);
      expect(host.actions.map((a) => [a.user.id, a.data, a.platformMessageId])).toEqual([
        ['1', 'nc1:a', shown.platformMessageId],
        ['2', 'nc1:r', shown.platformMessageId],
      ]);
    });

    it('cuts an answer over 200 characters with an ellipsis', async () => {
      await channel.sendCard(card());
      host.answerActions(() => ({ accepted: true, text: 'x'.repeat(500) }));
      const tap = server.tap({ card: server.cards[0] as never, data: 'nc1:a' });
      expect(await tap.answered()).toBe(`${'x'.repeat(199)}…`);
    });

    it('confirms the tap to Telegram only after receiveAction resolved', async () => {
      await channel.sendCard(card());
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const answer = host.receiveAction.bind(host);
      let called = false;
      host.receiveAction = async (action) => {
        called = true;
        await gate;
        return answer(action);
      };
      const tap = server.tap({ card: server.cards[0] as never, data: 'nc1:a' });
      await until(() => called);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.confirmedOffset()).toBeLessThanOrEqual(tap.updateId);
      expect(tap.answer()).toBeUndefined();
      release();
      await tap.answered();
      await until(() => server.confirmedOffset() > tap.updateId);
    });

    it('relays a replayed tap again with the same id and keeps polling when its second answer fails', async () => {
      await channel.sendCard(card());
      const tap = server.tap({ card: server.cards[0] as never, data: 'nc1:a' });
      await tap.answered();
      const replay = server.replayTap(tap);
      await until(() => host.actions.length === 2);
      expect(host.actions[1]?.platformActionId).toBe(tap.platformActionId);
      await until(() => server.confirmedOffset() > replay);
      server.injectMessage({ chatId: CHAT, text: 'still listening' });
      await host.waitForStored(1);
    });
  });

  describe('telegram callback queries that are not card taps', () => {
    const inject = (callback_query: unknown) =>
      server.injectUpdate({ callback_query } as unknown as Omit<Update, 'update_id'>);

    it('acknowledges and drops them without crashing, and keeps receiving', async () => {
      const base = query();
      const updates = [
        inject({ ...base, id: 'no-data', data: undefined, game_short_name: 'tetris' }),
        inject({ ...base, id: 'inline', message: undefined, inline_message_id: 'AAE' }),
        inject({ ...base, id: 'no-sender', from: undefined }),
        inject({ ...base, id: 'no-chat', message: { message_id: 3 } }),
        inject({ chat_instance: 'garbage' }),
        inject(null),
      ];
      server.injectMessage({ chatId: CHAT, text: 'after the junk' });
      await host.waitForStored(1);
      expect(host.actions).toEqual([]);
      await until(() => server.confirmedOffset() > Math.max(...updates));
      const answered = server.requests.filter((r) => r.method === 'answerCallbackQuery');
      expect(answered.map((r) => r.params.callback_query_id)).toEqual([
        'no-data',
        'inline',
        'no-sender',
        'no-chat',
      ]);
    });

    it('relays a tap from a bot account marked isBot, for the host to refuse', async () => {
      inject(query({ id: 'bot-tap', from: { id: 99, is_bot: true, first_name: 'Spam bot' } }));
      await until(() => host.actions.length > 0);
      expect(host.actions[0]?.user).toEqual({ id: '99', name: 'Spam bot', isBot: true });
    });
  });

  describe('telegram direct chats', () => {
    it('rejects, permanently, a user who has not started the bot', async () => {
      const error = await channel.openDirectChat('5550001').catch((e: unknown) => e);
      expect(error).toMatchObject({ permanent: true });
      expect(String((error as Error).message)).toContain('has not started a chat with the bot');
    });

    it('opens the private chat once the user wrote to the bot, and it can be sent to', async () => {
      server.injectMessage({ chatId: 5550002, from: { id: 5550002, first_name: 'Bob' }, text: '/start' });
      const chatId = await channel.openDirectChat('5550002');
      expect(chatId).toBe('5550002');
      expect(server.isDirectChat(chatId, 5550002)).toBe(true);
      await channel.sendCard(card({ chatId }));
      expect(server.cards[0]?.chatId).toBe('5550002');
    });

    it('refuses a group id: it is not a user', async () => {
      server.injectMessage({ chatId: CHAT, text: 'hello' });
      await expect(channel.openDirectChat(CHAT)).rejects.toMatchObject({ permanent: true });
    });
  });
});
