import { randomUUID } from 'node:crypto';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type InboundMessageInput,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import type { HostEventBus } from './host-event-bus.js';

export const LOCAL_CHANNEL = 'local';
export const LOCAL_ACCOUNT_ID = 'default';
export const LOCAL_MAX_TEXT_LENGTH = 100_000;

export interface LocalChannelOptions {
  bus: HostEventBus;
  /** Default `default`. */
  accountId?: string;
  /**
   * The host message ids a reply answers (the `inReplyTo` of its `reply` event). Default: the outbound
   * message's `replyToPlatformMessageId`, which is right when the host's message id for a local message is
   * its platform message id.
   */
  resolveInReplyTo?: (message: OutboundMessage) => string[] | Promise<string[]>;
  now?: () => Date;
  newId?: () => string;
}

export interface LocalMessageInput {
  text: string;
  /** Who wrote it (display name); default `local user`. */
  sender?: string;
  /** Set when the message should trigger the agent whatever the group's trigger is. */
  mentionsAssistant?: boolean;
}

export interface LocalDelivery {
  /** The id under which the host stored it (platform id of channel `local`, chat = the folder). */
  platformMessageId: string;
  duplicate: boolean;
  message: InboundMessageInput;
}

/** The channel the HTTP API and the CLI speak through: chat id = group folder, replies go to the event bus. */
export interface LocalChannel extends ChannelAdapter {
  /** Hands a message to the host (`ChannelHost.receive`); resolves once it is stored. Throws before `start`. */
  deliver(folder: string, input: LocalMessageInput): Promise<LocalDelivery>;
}

/** The `chat` of a `reply` event from this channel: `local:<accountId>:<folder>`. */
export function localChatKey(accountId: string, chatId: string): string {
  return `${LOCAL_CHANNEL}:${accountId}:${chatId}`;
}

export function createLocalChannel(options: LocalChannelOptions): LocalChannel {
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const resolveInReplyTo = options.resolveInReplyTo ?? defaultInReplyTo;
  let host: ChannelHost | undefined;
  const partTargets = createPartTargets();

  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: LOCAL_CHANNEL,
    accountId,
    limits: { maxTextLength: LOCAL_MAX_TEXT_LENGTH, attachments: false, typingIndicator: false },
    async start(channelHost) {
      host = channelHost;
    },
    async stop() {
      host = undefined;
    },
    async send(message): Promise<SendResult> {
      const { part } = message;
      const inReplyTo = partTargets.take(message) ?? (await resolveInReplyTo(message));
      if (part) partTargets.keep(part, inReplyTo);
      options.bus.publish({
        type: 'reply',
        folder: message.chatId,
        text: withAttachmentNotes(message),
        inReplyTo,
        chat: localChatKey(accountId, message.chatId),
        ...(part ? { part: { index: part.index, count: part.count } } : {}),
      });
      return { platformMessageIds: [`local-out-${message.idempotencyKey}`] };
    },
    async deliver(folder, input) {
      if (!host) throw new Error('the local channel is not started');
      const message: InboundMessageInput = {
        channel: LOCAL_CHANNEL,
        accountId,
        chatId: folder,
        platformMessageId: `local-${newId()}`,
        sender: { id: input.sender ?? 'user', name: input.sender ?? 'local user' },
        text: input.text,
        sentAt: now().toISOString(),
        ...(input.mentionsAssistant === undefined ? {} : { mentionsAssistant: input.mentionsAssistant }),
      };
      const { duplicate } = await host.receive(message);
      return { platformMessageId: message.platformMessageId, duplicate, message };
    },
  };
}

/** Parts remembered at most (a reply whose last part never comes is forgotten, oldest first). */
const MAX_SPLIT_REPLIES = 1_000;

/**
 * The later parts of a split reply answer what its first part answered (only part 1 carries the reply-to id):
 * remembered from part 1 until the last part is sent.
 */
function createPartTargets() {
  const byWhole = new Map<string, string[]>();
  return {
    take(message: OutboundMessage): string[] | undefined {
      const { part } = message;
      if (!part || part.index === 1) return undefined;
      const found = byWhole.get(part.of);
      if (part.index === part.count) byWhole.delete(part.of);
      return found;
    },
    keep(part: NonNullable<OutboundMessage['part']>, inReplyTo: string[]): void {
      if (part.index !== 1) return;
      byWhole.set(part.of, inReplyTo);
      if (byWhole.size > MAX_SPLIT_REPLIES) byWhole.delete(byWhole.keys().next().value as string);
    },
  };
}

function defaultInReplyTo(message: OutboundMessage): string[] {
  return message.replyToPlatformMessageId ? [message.replyToPlatformMessageId] : [];
}

/** The local channel carries no files: name them so they are not lost without a word. */
function withAttachmentNotes(message: OutboundMessage): string {
  const names = (message.attachments ?? []).map((attachment) => `[attachment: ${attachment.ref}]`);
  return names.length === 0 ? message.text : [message.text, ...names].join('\n');
}
