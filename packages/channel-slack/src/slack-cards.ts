import { CARD_DATA_MAX_BYTES, type CardAction, type OutboundCard } from '@nanoclaw/core';
import type { Button, KnownBlock } from '@slack/web-api';
import { SlackChannelError } from './slack-errors.js';
import { escapeSlack } from './slack-format.js';

/** Block Kit's limit on a section's text. */
export const SLACK_SECTION_TEXT_MAX = 3_000;
/** Block Kit's limit on a button's label. */
export const SLACK_BUTTON_LABEL_MAX = 75;
/** The spec's limit on a card's buttons (an actions block could take 25). */
export const CARD_OPTIONS_MAX = 10;
/** Every card button's `action_id` starts with this, followed by the option's index. */
export const CARD_ACTION_ID_PREFIX = 'nanoclaw-card-';

/** What chat.postMessage gets for a card: Block Kit blocks plus the plain text notifications show. */
export interface SlackCardMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * A card as Block Kit: a section with the text (plain text, so nothing in it is read as mrkdwn) and one actions
 * block with a button per option, in order, each carrying the option's `data` as its `value`.
 */
export function toSlackCardMessage(card: OutboundCard): SlackCardMessage {
  assertCardFits(card);
  const text = truncate(card.text, SLACK_SECTION_TEXT_MAX);
  const buttons = card.options.map(
    (option, index): Button => ({
      type: 'button',
      action_id: `${CARD_ACTION_ID_PREFIX}${index}`,
      text: { type: 'plain_text', text: truncate(option.label, SLACK_BUTTON_LABEL_MAX) || '…', emoji: true },
      value: option.data,
    }),
  );
  return {
    // The top-level text is mrkdwn: escaped so it reads as the plain text of the section.
    text: escapeSlack(text),
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: text || ' ', emoji: true } },
      { type: 'actions', elements: buttons },
    ],
  };
}

/** A card the spec does not allow is refused for good: no retry makes it fit. */
function assertCardFits(card: OutboundCard): void {
  const count = card.options.length;
  if (count < 1 || count > CARD_OPTIONS_MAX) {
    throw new SlackChannelError(`slack: a card needs 1 to ${CARD_OPTIONS_MAX} options, got ${count}`, {
      permanent: true,
    });
  }
  for (const option of card.options) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the range \x00-\x7f
    const ascii = /^[\x00-\x7f]*$/.test(option.data);
    if (!ascii || option.data.length > CARD_DATA_MAX_BYTES) {
      throw new SlackChannelError(
        `slack: a card option's data must be ASCII of at most ${CARD_DATA_MAX_BYTES} bytes`,
        { permanent: true },
      );
    }
  }
}

/** Cuts `text` to at most `max` characters, ending in an ellipsis when cut (never inside a surrogate pair). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The fields of a Socket Mode `interactive` payload this channel reads (Bolt's `BlockAction`), all untrusted. */
export interface SlackInteractivePayload {
  type?: unknown;
  user?: { id?: unknown; username?: unknown; name?: unknown };
  channel?: { id?: unknown };
  container?: { message_ts?: unknown; channel_id?: unknown; thread_ts?: unknown };
  message?: { ts?: unknown; thread_ts?: unknown };
  actions?: unknown;
  trigger_id?: unknown;
}

export interface ToCardActionOptions {
  channel: string;
  accountId: string;
  /** The bot's own user id: a tap that claims to be the bot's is ignored. */
  botUserId: string;
}

export type SlackActionVerdict =
  | {
      kind: 'action';
      action: CardAction;
      /** The thread the card is in, so the answer to the tapper shows there too. */
      threadTs?: string;
    }
  | { kind: 'ignore'; reason: string };

interface SlackButtonTap {
  value?: unknown;
  action_ts?: unknown;
}

/** Turns an `interactive` envelope's payload into a tap for `host.receiveAction`, or says why it is ignored. */
export function toCardAction(payload: unknown, options: ToCardActionOptions): SlackActionVerdict {
  if (typeof payload !== 'object' || payload === null) return ignore('no payload');
  const body = payload as SlackInteractivePayload;
  if (body.type !== 'block_actions') return ignore(`payload type ${String(body.type)}`);
  const userId = nonEmpty(body.user?.id);
  const chatId = nonEmpty(body.channel?.id) ?? nonEmpty(body.container?.channel_id);
  if (!userId || !chatId) return ignore('no user or channel');
  if (userId === options.botUserId) return ignore('a tap as the bot itself');
  const tap = firstAction(body.actions);
  if (!tap) return ignore('no actions');
  const data = typeof tap.value === 'string' ? tap.value : undefined;
  if (data === undefined) return ignore('an action without a value');
  const messageTs = nonEmpty(body.container?.message_ts) ?? nonEmpty(body.message?.ts);
  const platformActionId = slackActionId(messageTs, nonEmpty(tap.action_ts), nonEmpty(body.trigger_id));
  if (!platformActionId) return ignore('no action_ts or trigger_id');
  const name = nonEmpty(body.user?.name) ?? nonEmpty(body.user?.username);
  const action: CardAction = {
    channel: options.channel,
    accountId: options.accountId,
    chatId,
    platformActionId,
    ...(messageTs ? { platformMessageId: messageTs } : {}),
    user: { id: userId, ...(name ? { name: name.slice(0, 256) } : {}) },
    data,
  };
  const threadTs = nonEmpty(body.message?.thread_ts) ?? nonEmpty(body.container?.thread_ts);
  return { kind: 'action', action, ...(threadTs ? { threadTs } : {}) };
}

/**
 * The id of one tap, the same when Slack redelivers its envelope: the card message's ts and the tap's
 * `action_ts` (Slack's clock when the button was pressed); `trigger_id` (also one per tap) when either is absent.
 */
export function slackActionId(
  messageTs: string | undefined,
  actionTs: string | undefined,
  triggerId: string | undefined,
): string | undefined {
  if (messageTs && actionTs) return `${messageTs}:${actionTs}`;
  return triggerId;
}

function firstAction(actions: unknown): SlackButtonTap | undefined {
  if (!Array.isArray(actions)) return undefined;
  const [first] = actions as unknown[];
  return typeof first === 'object' && first !== null ? (first as SlackButtonTap) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ignore(reason: string): SlackActionVerdict {
  return { kind: 'ignore', reason };
}
