/**
 * The card side of the fake Bot API server: messages with an inline keyboard, taps on their buttons as
 * `callback_query` updates, and the `answerCallbackQuery` the bot gives the tapper.
 */
import type { FakeWaiters } from '@nanoclaw/channel-registry/test';
import type { CallbackQuery, Message, Update, User } from 'grammy/types';

/** A Telegram user as a test names one: the id may be a string (contract ids like `U-owner` pass through). */
export type FakeUser = Omit<Partial<User>, 'id'> & { id: number | string };

export interface FakeCardButton {
  label: string;
  data: string;
}

/** A message the bot sent with an inline keyboard of callback buttons. */
export interface FakeSentCard {
  chatId: string;
  messageId: number;
  /** `String(messageId)`: what the adapter returned in `platformMessageIds`. */
  platformMessageId: string;
  text: string;
  /** Every callback button, row by row, left to right. */
  buttons: readonly FakeCardButton[];
  /** The keyboard as rows of labels (how the buttons are laid out). */
  rows: readonly (readonly string[])[];
  threadId?: number;
}

/** What the bot answered a tap with (`answerCallbackQuery`). */
export interface FakeCallbackAnswer {
  queryId: string;
  text?: string;
  /** True: an alert the tapper dismisses; false: a toast. */
  showAlert: boolean;
}

export interface FakeTapInput {
  /** The card (or any message of the bot's, by chat and message id). */
  card: Pick<FakeSentCard, 'chatId' | 'messageId'>;
  /** The `callback_data` the tap carries; may be one no button has (a forged tap). */
  data?: string;
  /** Tap the button with this label instead (its data). */
  label?: string;
  /** Who taps (default: the fake's default user, 4242 "Ada Lovelace"). */
  user?: FakeUser;
}

/** A tap put on the platform: a `callback_query` update. */
export interface FakeTap {
  /** The callback query id (a replay carries the same one). */
  queryId: string;
  /** The same as `queryId`: what the adapter hands the host as `CardAction.platformActionId`. */
  platformActionId: string;
  updateId: number;
  /** The bot's answer, once it gave one. */
  answer(): FakeCallbackAnswer | undefined;
  /** Resolves with the text shown to the tapper ('' for an answer without text); rejects after `timeoutMs` (15 s). */
  answered(timeoutMs?: number): Promise<string>;
}

export const DEFAULT_FAKE_USER: User = {
  id: 4242,
  is_bot: false,
  first_name: 'Ada',
  last_name: 'Lovelace',
  username: 'ada',
};

export function fakeUser(user: FakeUser | undefined): User {
  return { ...DEFAULT_FAKE_USER, ...user } as User;
}

type CallResult = { ok: unknown } | { error: { error_code: number; description: string } };

export interface FakeCardDeskOptions {
  waiters: FakeWaiters;
  /** A message the server holds (the card a tap is on). */
  message(chatId: string, messageId: number): Message | undefined;
  /** Queues an update; returns its id. */
  enqueue(update: Omit<Update, 'update_id'>): number;
}

/** Cards sent, taps queued, answers given. */
export function createFakeCardDesk(options: FakeCardDeskOptions) {
  const cards: FakeSentCard[] = [];
  const answers: FakeCallbackAnswer[] = [];
  const queries = new Map<string, CallbackQuery>();
  let nextQueryId = 7_000_000_000_000_000;
  const answerOf = (queryId: string) => answers.find((a) => a.queryId === queryId);

  const makeTap = (queryId: string, updateId: number): FakeTap => ({
    queryId,
    platformActionId: queryId,
    updateId,
    answer: () => answerOf(queryId),
    async answered(timeoutMs = 15_000) {
      await options.waiters.waitUntil(
        () => answerOf(queryId) !== undefined,
        timeoutMs,
        `an answer to tap ${queryId}`,
      );
      return answerOf(queryId)?.text ?? '';
    },
  });

  return {
    cards: cards as readonly FakeSentCard[],
    answers: answers as readonly FakeCallbackAnswer[],

    record(card: FakeSentCard): void {
      cards.push(card);
      options.waiters.notify();
    },

    tap(input: FakeTapInput): FakeTap {
      const { chatId, messageId } = input.card;
      const message = options.message(chatId, messageId);
      if (!message) throw new Error(`fake telegram: no message ${messageId} in chat ${chatId} to tap`);
      const data = input.data ?? buttonData(cards, input);
      nextQueryId += 1;
      const query: CallbackQuery = {
        id: String(nextQueryId),
        from: fakeUser(input.user),
        message,
        chat_instance: `instance-${chatId}`,
        data,
      };
      queries.set(query.id, query);
      return makeTap(query.id, options.enqueue({ callback_query: query }));
    },

    replayTap(tap: Pick<FakeTap, 'queryId'>): number {
      const query = queries.get(tap.queryId);
      if (!query) throw new Error(`fake telegram: no tap ${tap.queryId} to replay`);
      return options.enqueue({ callback_query: query });
    },

    async waitForCard(match: (card: FakeSentCard) => boolean, timeoutMs: number): Promise<FakeSentCard> {
      await options.waiters.waitUntil(() => cards.some(match), timeoutMs, 'a card');
      return cards.find(match) as FakeSentCard;
    },

    /** Like Telegram: one answer per query, at most 200 characters. */
    answerCallbackQuery(params: Record<string, unknown>): CallResult {
      const queryId = String(params.callback_query_id ?? '');
      if (!queries.has(queryId) || answerOf(queryId))
        return badRequest('query is too old and response timeout expired or query ID is invalid');
      const text = typeof params.text === 'string' ? params.text : undefined;
      if (text !== undefined && text.length > 200) return badRequest('MESSAGE_TOO_LONG');
      answers.push({
        queryId,
        ...(text === undefined ? {} : { text }),
        showAlert: isTrue(params.show_alert),
      });
      options.waiters.notify();
      return { ok: true };
    },
  };
}

function buttonData(cards: readonly FakeSentCard[], input: FakeTapInput): string {
  const card = cards.find((c) => c.chatId === input.card.chatId && c.messageId === input.card.messageId);
  const button = card?.buttons.find((b) => b.label === input.label);
  if (input.label === undefined || !button)
    throw new Error(
      `fake telegram: tap needs data, or the label of a button on the card (got ${input.label})`,
    );
  return button.data;
}

/**
 * An inline keyboard as Telegram checks it: rows of buttons, each with a text and 1 to 64 bytes of
 * `callback_data` (url and other button kinds are kept out of `buttons`).
 */
export function parseInlineKeyboard(
  markup: unknown,
): { buttons: FakeCardButton[]; rows: string[][] } | { error: string } {
  const parsed = typeof markup === 'string' ? safeJson(markup) : markup;
  const keyboard = (parsed as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(keyboard) || !keyboard.every(Array.isArray))
    return { error: 'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays' };
  const buttons: FakeCardButton[] = [];
  const rows: string[][] = [];
  for (const row of keyboard as unknown[][]) {
    const labels: string[] = [];
    for (const button of row as Array<{ text?: unknown; callback_data?: unknown }>) {
      if (typeof button?.text !== 'string' || button.text === '') return { error: 'BUTTON_TEXT_EMPTY' };
      labels.push(button.text);
      if (button.callback_data === undefined) continue;
      const data = String(button.callback_data);
      const bytes = Buffer.byteLength(data);
      if (bytes < 1 || bytes > 64) return { error: 'BUTTON_DATA_INVALID' };
      buttons.push({ label: button.text, data });
    }
    rows.push(labels);
  }
  return { buttons, rows };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function badRequest(description: string) {
  return { error: { error_code: 400, description: `Bad Request: ${description}` } };
}
