import type { Attachment } from '@nanoclaw/core';
import type { MediaResult } from '../media/media-result.js';
import { formatPrompt, type PromptLimits, toPromptMessage } from './format-prompt.js';
import type { Inbox } from './inbox.js';
import type { StoredInbound } from './stored-inbound.js';
import type { Turn } from './turn.js';

export interface BuildTurnPromptOptions {
  inbox: Pick<Inbox, 'getMany' | 'pendingContext' | 'findByPlatformId'>;
  /** The host's zone (`TZ`); times in the prompt carry its offset. */
  timezone: string;
  limits?: Partial<PromptLimits>;
  /** The turn's files as fetched into the group folder, by stored message id (context messages keep names only). */
  media?: ReadonlyMap<number, readonly MediaResult[]>;
}

export interface TurnPrompt {
  /** The turn input text for the agent. */
  text: string;
  /** The turn's own messages, oldest first. */
  messages: StoredInbound[];
  /** The pending context included before them. */
  context: StoredInbound[];
  /** Attachments of the turn's messages, for the caller to fetch into the group folder if it wants. */
  attachments: Attachment[];
}

/**
 * The prompt for a turn: its messages plus the chat's unanswered context since the last answered message
 * (capped), with reply quotes filled in from stored messages when the platform did not send the text.
 */
export async function buildTurnPrompt(
  options: BuildTurnPromptOptions,
  turn: Pick<Turn, 'groupId' | 'chat' | 'messageIds'>,
): Promise<TurnPrompt> {
  const limits = options.limits ?? {};
  const messages = await options.inbox.getMany(turn.messageIds);
  const lastId = messages.at(-1)?.id ?? 0;
  const turnIds = new Set(messages.map((m) => m.id));
  const context = (
    await options.inbox.pendingContext({
      groupId: turn.groupId,
      chat: turn.chat,
      beforeId: lastId,
      limit: limits.maxContextMessages ?? 50,
    })
  ).filter((m) => !turnIds.has(m.id));
  const view = async (stored: StoredInbound) =>
    toPromptMessage(stored, await quotedText(options.inbox, stored), options.media?.get(stored.id));
  const text = formatPrompt(
    {
      context: await Promise.all(context.map(view)),
      turn: await Promise.all(messages.map(view)),
    },
    { timezone: options.timezone, limits },
  );
  return { text, messages, context, attachments: messages.flatMap((m) => m.message.attachments ?? []) };
}

async function quotedText(
  inbox: Pick<Inbox, 'findByPlatformId'>,
  stored: StoredInbound,
): Promise<string | undefined> {
  const replyTo = stored.message.replyTo;
  if (!replyTo || replyTo.text !== undefined) return undefined;
  const { channel, accountId, chatId } = stored.message;
  const original = await inbox.findByPlatformId({ channel, accountId, chatId }, replyTo.platformMessageId);
  return original?.message.text;
}
