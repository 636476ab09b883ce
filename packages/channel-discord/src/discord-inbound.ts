import type { Attachment, InboundMessageInput } from '@nanoclaw/core';
import { type Message, MessageType } from 'discord.js';

/** The part of a raw `referenced_message` this channel reads. */
export interface RawReferenced {
  content?: string;
  author?: { username?: string; global_name?: string | null };
}

export interface DiscordInboundContext {
  botUserId: string;
  accountId: string;
  /** Deliver messages of other bots and webhooks (never the bot's own). */
  allowBots: boolean;
}

/**
 * A gateway message as an inbound message, or undefined for what the host never sees: the bot's own posts,
 * other bots (unless allowed), system messages. A thread's messages belong to the parent channel's chat.
 */
export function toDiscordInbound(
  message: Message,
  referenced: RawReferenced | undefined,
  context: DiscordInboundContext,
): InboundMessageInput | undefined {
  const { botUserId } = context;
  if (message.author.id === botUserId) return undefined;
  if ((message.author.bot || message.webhookId) && !context.allowBots) return undefined;
  if (message.system || (message.type !== MessageType.Default && message.type !== MessageType.Reply)) {
    return undefined;
  }
  const channel = message.channel;
  const isThread = channel.isThread();
  const chatId = isThread && channel.parentId ? channel.parentId : message.channelId;
  const isDm = message.guildId === null;
  const repliedToBot = message.mentions.repliedUser?.id === botUserId;
  const mentionsAssistant =
    message.mentions.users.has(botUserId) ||
    repliedToBot ||
    isDm ||
    (isThread && channel.ownerId === botUserId);
  const name = message.member?.displayName ?? message.author.globalName ?? message.author.username;
  const inboundMessage: InboundMessageInput = {
    channel: 'discord',
    accountId: context.accountId,
    chatId,
    platformMessageId: message.id,
    sender: {
      id: message.author.id,
      ...(name ? { name: name.slice(0, 256) } : {}),
      ...(message.author.bot ? { isBot: true } : {}),
    },
    text: message.content,
    sentAt: message.createdAt.toISOString(),
    mentionsAssistant,
  };
  if (isThread) inboundMessage.threadId = message.channelId;
  const replyTo = replyOf(message, referenced);
  if (replyTo) inboundMessage.replyTo = replyTo;
  const attachments = attachmentsOf(message);
  if (attachments.length > 0) inboundMessage.attachments = attachments;
  return inboundMessage;
}

function replyOf(message: Message, referenced: RawReferenced | undefined): InboundMessageInput['replyTo'] {
  const referenceId = message.reference?.messageId;
  if (!referenceId) return undefined;
  const senderName =
    referenced?.author?.global_name ?? referenced?.author?.username ?? message.mentions.repliedUser?.username;
  return {
    platformMessageId: referenceId,
    ...(senderName ? { senderName: senderName.slice(0, 256) } : {}),
    ...(referenced?.content ? { text: referenced.content.slice(0, 10_000) } : {}),
  };
}

function attachmentsOf(message: Message): Attachment[] {
  return [...message.attachments.values()].slice(0, 32).map(
    (a): Attachment => ({
      name: (a.name || 'file').slice(0, 255),
      mimeType: a.contentType || 'application/octet-stream',
      sizeBytes: a.size,
      ref: a.url,
    }),
  );
}
