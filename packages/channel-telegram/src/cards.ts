import { ChannelError } from '@nanoclaw/channel-registry';
import {
  CARD_DATA_MAX_BYTES,
  type CardAction,
  type CardOption,
  type ChannelHost,
  type Logger,
  type OutboundCard,
  type SendResult,
} from '@nanoclaw/core';
import type { Api } from 'grammy';
import type { CallbackQuery, InlineKeyboardMarkup } from 'grammy/types';
import { describeError, toChannelError } from './errors.js';
import { displayName, TELEGRAM_CHANNEL } from './map-message.js';
import { TELEGRAM_MAX_TEXT, threadOptions } from './send.js';

/** Telegram shows at most 200 characters in the answer to a button tap. */
export const TELEGRAM_MAX_CALLBACK_ANSWER = 200;
/** The spec's bound on a card's buttons (Telegram itself takes up to 100). */
export const MAX_CARD_OPTIONS = 10;

/** One button per row: labels stay readable on a phone, and the order reads top to bottom. */
export function cardKeyboard(options: readonly CardOption[]): InlineKeyboardMarkup {
  return { inline_keyboard: options.map((option) => [{ text: option.label, callback_data: option.data }]) };
}

/** Sends the card as one message with an inline keyboard; its text is cut at 4096 with an ellipsis. */
export async function sendCard(api: Api, card: OutboundCard): Promise<SendResult> {
  assertCardFits(card);
  try {
    const sent = await api.sendMessage(card.chatId, truncateText(card.text.trim(), TELEGRAM_MAX_TEXT), {
      reply_markup: cardKeyboard(card.options),
      ...threadOptions(card.threadId),
    });
    return { platformMessageIds: [String(sent.message_id)] };
  } catch (error) {
    throw toChannelError(error, 'sendMessage (card)');
  }
}

/** What Telegram would refuse with a 400 (or the spec forbids), refused before the call and permanently. */
function assertCardFits(card: OutboundCard): void {
  const refuse = (why: string) => new ChannelError(`telegram card: ${why}`, { permanent: true });
  if (card.text.trim() === '') throw refuse('the text is empty');
  if (card.options.length < 1 || card.options.length > MAX_CARD_OPTIONS)
    throw refuse(`${card.options.length} options (1 to ${MAX_CARD_OPTIONS})`);
  for (const { label, data } of card.options) {
    if (label.trim() === '') throw refuse('a button label is empty');
    if (!isCardData(data)) throw refuse(`button data must be 1 to ${CARD_DATA_MAX_BYTES} ASCII characters`);
  }
}

/** Telegram's `callback_data` is 1 to 64 bytes; the spec keeps it ASCII, so bytes and characters agree. */
function isCardData(data: string): boolean {
  if (data.length < 1 || data.length > CARD_DATA_MAX_BYTES) return false;
  for (let index = 0; index < data.length; index += 1) if (data.charCodeAt(index) > 0x7f) return false;
  return true;
}

/** Cuts text to `max` characters, the last being `…` (never splitting a surrogate pair). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** A tap as the host's `CardAction`, or why it cannot be one (the payload lacks what a card tap carries). */
export function toCardAction(
  query: CallbackQuery,
  accountId: string,
): { action: CardAction } | { ignored: string } {
  const message = query.message;
  const from = query.from as CallbackQuery['from'] | undefined;
  if (typeof query.id !== 'string' || query.id === '') return { ignored: 'no query id' };
  if (typeof query.data !== 'string' || query.data === '')
    return { ignored: 'no data (not a card button: a game or a malformed query)' };
  if (!message?.chat || message.message_id === undefined)
    return { ignored: 'no message (a button of an inline-mode message, not a card)' };
  if (!from || from.id === undefined || from.id === null) return { ignored: 'no sender' };
  return {
    action: {
      channel: TELEGRAM_CHANNEL,
      accountId,
      chatId: String(message.chat.id),
      platformActionId: query.id,
      platformMessageId: String(message.message_id),
      user: { id: String(from.id), name: displayName(from).slice(0, 256), isBot: from.is_bot === true },
      data: query.data,
    },
  };
}

export interface CallbackContext {
  api: Api;
  host: ChannelHost;
  accountId: string;
  logger: Logger;
}

/**
 * Hands a button tap to the host and shows its answer to the tapper: a toast when accepted, an alert (which the
 * tapper dismisses) when refused. A query that is not a card tap is answered empty (so the button stops spinning)
 * and dropped. A failed answer is logged, not retried: the host has the tap already.
 */
export async function handleCallbackQuery(context: CallbackContext, query: CallbackQuery): Promise<void> {
  const mapped = toCardAction(query, context.accountId);
  if ('ignored' in mapped) {
    context.logger.warn({ queryId: query.id, reason: mapped.ignored }, 'telegram button tap ignored');
    await answerTapper(context, query.id, {});
    return;
  }
  const result = await context.host.receiveAction(mapped.action);
  const text = truncateText(result.text, TELEGRAM_MAX_CALLBACK_ANSWER);
  await answerTapper(context, query.id, { ...(text ? { text } : {}), show_alert: !result.accepted });
}

async function answerTapper(
  context: CallbackContext,
  queryId: string | undefined,
  answer: { text?: string; show_alert?: boolean },
): Promise<void> {
  if (typeof queryId !== 'string' || queryId === '') return;
  try {
    await context.api.answerCallbackQuery(queryId, answer);
  } catch (error) {
    context.logger.warn(
      { queryId, err: describeError(error) },
      'telegram answerCallbackQuery failed; the tapper sees no answer',
    );
  }
}
