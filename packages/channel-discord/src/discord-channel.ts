import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ChannelHealth, silentLogger, splitMessage } from '@nanoclaw/channel-registry';
import {
  type Attachment,
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  errorMessage,
  type InboundMessageInput,
  type Logger,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import {
  Client,
  Events,
  GatewayIntentBits,
  type Message,
  MessageType,
  Options,
  Partials,
  type RawFile,
  Routes,
} from 'discord.js';
import { DiscordChannelError, toDiscordChannelError } from './discord-errors.js';

export const DISCORD_CHANNEL = 'discord';
/** Discord's cap on message content. */
export const DISCORD_MAX_TEXT_LENGTH = 2_000;
/** Discord takes at most 10 files per message. */
export const DISCORD_MAX_FILES_PER_MESSAGE = 10;
export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';
/** A typing indicator lasts about 10 s; refresh it before it lapses. */
const TYPING_REFRESH_MS = 8_000;

export interface DiscordChannelOptions {
  /** Bot token (DISCORD_BOT_TOKEN), without the `Bot ` prefix. */
  token: string;
  /** REST base (DISCORD_API_URL), default `https://discord.com/api`; the gateway URL comes from /gateway/bot. */
  apiUrl?: string;
  /** Default `default`. */
  accountId?: string;
  logger?: Logger;
  /** Deliver messages of other bots and webhooks (never the bot's own). Default false. */
  allowBots?: boolean;
  /**
   * Reads an outbound attachment's bytes. Default: `ref` as a file path (absolute, or relative to
   * `attachmentRoot`).
   */
  readAttachment?: (attachment: Attachment, message: OutboundMessage) => Promise<Uint8Array>;
  /** Where relative outbound attachment refs resolve from (default: the process cwd). */
  attachmentRoot?: string;
  /**
   * Discord never redelivers a gateway event, so a failed `host.receive` is retried here, after these
   * delays. Default 250, 500, 1,000, 2,000, 4,000 ms.
   */
  receiveRetryDelaysMs?: readonly number[];
  /**
   * Rate limits up to this long are waited out in-process (discord.js holds the bucket and sends when it
   * resets); longer ones make `send` throw with `retryAfterMs` for the outbox. Default 5,000 ms.
   */
  rateLimitWaitMaxMs?: number;
  /** How long `start` waits for READY and the guilds. Default 30,000 ms. */
  readyTimeoutMs?: number;
  /**
   * Skip discord.js's identify throttle (one IDENTIFY per 5 s per bucket). Only for tests against the
   * loopback fake, where fresh sessions follow each other quickly.
   */
  unthrottledIdentify?: boolean;
}

/** The Discord channel adapter, plus what a host may want beyond the spec. */
export interface DiscordChannel extends ChannelAdapter {
  /** Whether the gateway session is up (the channel registry shows `retrying` while it is not). */
  health(): ChannelHealth;
  /** The bot's user id once started (from READY). */
  readonly botUserId: string | undefined;
  setTyping(chatId: string, typing: boolean): Promise<void>;
  /** Downloads an inbound attachment (`Attachment.ref`, a Discord CDN URL). */
  downloadAttachment(ref: string): Promise<Uint8Array>;
}

/** The part of a raw `referenced_message` this channel reads. */
interface RawReferenced {
  content?: string;
  author?: { username?: string; global_name?: string | null };
}

interface SendProgress {
  ids: string[];
  posts: number;
}

interface PlannedPost {
  content: string;
  files: Attachment[];
  reply: boolean;
}

/**
 * Discord over the gateway (no public URL) with discord.js: MESSAGE_CREATE → `host.receive`, replies through
 * REST. The gateway has no acknowledgements; the channel hands messages over one at a time, in order, and
 * retries a failed `receive` itself.
 */
export function createDiscordChannel(options: DiscordChannelOptions): DiscordChannel {
  const accountId = options.accountId ?? 'default';
  const apiUrl = (options.apiUrl ?? DEFAULT_DISCORD_API_URL).replace(/\/+$/, '');
  const logger = (options.logger ?? silentLogger()).child({ channel: DISCORD_CHANNEL, accountId });
  const retryDelays = options.receiveRetryDelaysMs ?? [250, 500, 1_000, 2_000, 4_000];
  const readAttachment =
    options.readAttachment ??
    ((attachment: Attachment) =>
      readFile(
        path.isAbsolute(attachment.ref)
          ? attachment.ref
          : path.resolve(options.attachmentRoot ?? process.cwd(), attachment.ref),
      ));
  const rateLimitWaitMaxMs = options.rateLimitWaitMaxMs ?? 5_000;
  const progress = new Map<string, SendProgress>();
  const typingTimers = new Map<string, NodeJS.Timeout>();
  let client: Client | undefined;
  let host: ChannelHost | undefined;
  let botUserId: string | undefined;
  let inbound: Promise<void> = Promise.resolve();
  let stopped = false;
  let connected = false;
  let lastError: string | undefined;
  /** MESSAGE_CREATE `referenced_message` by message id, from the raw packet (messages are not cached). */
  const referencedById = new Map<string, RawReferenced>();

  const rest = () => {
    if (!client) throw new DiscordChannelError('discord channel is not started');
    return client.rest;
  };

  function toInbound(
    message: Message,
    referenced: RawReferenced | undefined,
  ): InboundMessageInput | undefined {
    if (!botUserId) return undefined;
    if (message.author.id === botUserId) return undefined;
    if ((message.author.bot || message.webhookId) && !options.allowBots) return undefined;
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
      channel: DISCORD_CHANNEL,
      accountId,
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
    const referenceId = message.reference?.messageId;
    if (referenceId) {
      const senderName =
        referenced?.author?.global_name ??
        referenced?.author?.username ??
        message.mentions.repliedUser?.username;
      inboundMessage.replyTo = {
        platformMessageId: referenceId,
        ...(senderName ? { senderName: senderName.slice(0, 256) } : {}),
        ...(referenced?.content ? { text: referenced.content.slice(0, 10_000) } : {}),
      };
    }
    const attachments = [...message.attachments.values()].slice(0, 32).map(
      (a): Attachment => ({
        name: (a.name || 'file').slice(0, 255),
        mimeType: a.contentType || 'application/octet-stream',
        sizeBytes: a.size,
        ref: a.url,
      }),
    );
    if (attachments.length > 0) inboundMessage.attachments = attachments;
    return inboundMessage;
  }

  /**
   * Hands one message to the host, retrying a failed receive (the gateway never redelivers). A message seen
   * again (a resume replay) is handed over again too: the host's inbox answers `duplicate`.
   */
  async function deliver(inboundMessage: InboundMessageInput): Promise<void> {
    const messageId = inboundMessage.platformMessageId;
    for (let attempt = 0; ; attempt++) {
      const current = host;
      if (!current || stopped) return;
      try {
        await current.receive(inboundMessage);
        return;
      } catch (error) {
        const delay = retryDelays[attempt];
        if (delay === undefined) {
          logger.error(
            { err: errorMessage(error), messageId },
            'discord: message dropped, receive kept failing',
          );
          return;
        }
        logger.warn({ err: errorMessage(error), messageId, delay }, 'discord: receive failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  function plan(message: OutboundMessage): PlannedPost[] {
    const chunks = message.text.trim() === '' ? [] : splitMessage(message.text, DISCORD_MAX_TEXT_LENGTH);
    const attachments = message.attachments ?? [];
    const groups: Attachment[][] = [];
    for (let i = 0; i < attachments.length; i += DISCORD_MAX_FILES_PER_MESSAGE) {
      groups.push(attachments.slice(i, i + DISCORD_MAX_FILES_PER_MESSAGE));
    }
    const posts: PlannedPost[] = chunks.map((content) => ({ content, files: [], reply: false }));
    const last = posts[posts.length - 1];
    if (last && groups.length > 0) last.files = groups.shift() ?? [];
    for (const files of groups) posts.push({ content: '', files, reply: false });
    const first = posts[0];
    if (first && message.replyToPlatformMessageId) first.reply = true;
    return posts;
  }

  async function post(message: OutboundMessage, planned: PlannedPost, index: number): Promise<string> {
    const target = message.threadId ?? message.chatId;
    const files: RawFile[] = [];
    for (const attachment of planned.files) {
      let bytes: Uint8Array;
      try {
        bytes = await readAttachment(attachment, message);
      } catch (error) {
        throw new DiscordChannelError(
          `discord: cannot read attachment ${attachment.ref}: ${errorMessage(error)}`,
          {
            permanent: true,
            cause: error,
          },
        );
      }
      files.push({ name: attachment.name, data: Buffer.from(bytes), contentType: attachment.mimeType });
    }
    const body: Record<string, unknown> = {
      content: planned.content,
      // A reply may ping the people it names, never @everyone or roles.
      allowed_mentions: { parse: ['users'], replied_user: false },
      // Discord drops a second message with the same nonce (for a few minutes): retries stay single.
      nonce: nonceFor(message.idempotencyKey, index),
      enforce_nonce: true,
    };
    if (planned.reply && message.replyToPlatformMessageId) {
      body.message_reference = { message_id: message.replyToPlatformMessageId, fail_if_not_exists: false };
    }
    if (files.length > 0) body.attachments = files.map((f, id) => ({ id, filename: f.name }));
    try {
      const result = (await rest().post(Routes.channelMessages(target), {
        body,
        ...(files.length > 0 ? { files } : {}),
      })) as { id?: string };
      return result.id ?? '';
    } catch (error) {
      throw toDiscordChannelError(error, 'POST /channels/:id/messages');
    }
  }

  function stopTyping(chatId: string) {
    const timer = typingTimers.get(chatId);
    if (timer) clearInterval(timer);
    typingTimers.delete(chatId);
  }

  const channel: DiscordChannel = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: DISCORD_CHANNEL,
    accountId,
    limits: { maxTextLength: DISCORD_MAX_TEXT_LENGTH, attachments: true, typingIndicator: true },
    get botUserId() {
      return botUserId;
    },

    async start(channelHost) {
      if (client) throw new Error('discord channel already started');
      stopped = false;
      host = channelHost;
      const next = new Client({
        intents: [
          GatewayIntentBits.Guilds,
          GatewayIntentBits.GuildMessages,
          GatewayIntentBits.MessageContent,
          GatewayIntentBits.DirectMessages,
        ],
        // DM channels are not cached before their first message.
        partials: [Partials.Channel],
        // No message cache: discord.js would otherwise swallow a replayed MESSAGE_CREATE it already has, and
        // the host (not this process) is where duplicates are recognised.
        makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
        rest: {
          api: apiUrl,
          // Short limits are waited out by discord.js; long ones go back to the outbox as retryAfterMs.
          rejectOnRateLimit: (data) => Math.max(data.retryAfter, data.timeToReset) > rateLimitWaitMaxMs,
          retries: 1,
        },
        ...(options.unthrottledIdentify
          ? { ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => {} }) } }
          : {}),
      });
      client = next;
      next.on(
        Events.Raw,
        (packet: { t?: string; d?: { id?: string; referenced_message?: RawReferenced } }) => {
          if (packet.t !== 'MESSAGE_CREATE' || !packet.d?.id || !packet.d.referenced_message) return;
          referencedById.set(packet.d.id, packet.d.referenced_message);
          if (referencedById.size > 100) referencedById.delete(referencedById.keys().next().value ?? '');
        },
      );
      next.on(Events.MessageCreate, (message) => {
        const referenced = referencedById.get(message.id);
        referencedById.delete(message.id);
        const inboundMessage = toInbound(message, referenced);
        if (!inboundMessage) return;
        // The gateway never redelivers: a failure here is logged and the queue moves on to the next message.
        inbound = inbound
          .then(() => deliver(inboundMessage))
          .catch((error: unknown) =>
            logger.error(
              { err: errorMessage(error), messageId: inboundMessage.platformMessageId },
              'discord: message dropped, delivering it failed',
            ),
          );
      });
      next.on(Events.Error, (error) => {
        lastError = error.message;
        logger.warn({ err: error.message }, 'discord: client error');
      });
      next.on(Events.ShardDisconnect, (event) => {
        connected = false;
        logger.warn({ code: event.code }, 'discord: gateway disconnected');
      });
      next.on(Events.ShardReconnecting, () => {
        connected = false;
        logger.info('discord: gateway reconnecting');
      });
      next.on(Events.ShardResume, (_id, replayed) => {
        connected = true;
        logger.info({ replayed }, 'discord: gateway resumed');
      });
      next.on(Events.ShardReady, () => {
        connected = true;
      });
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new DiscordChannelError('discord: timed out waiting for READY')),
          options.readyTimeoutMs ?? 30_000,
        );
        next.once(Events.ClientReady, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await next.login(options.token);
        await ready;
      } catch (error) {
        client = undefined;
        host = undefined;
        await next.destroy().catch(() => {});
        throw toDiscordChannelError(error, 'discord login');
      }
      botUserId = next.user?.id;
      connected = true;
      lastError = undefined;
      logger.info({ botUserId }, 'discord: connected to the gateway');
    },

    health() {
      return { connected: client !== undefined && connected, ...(lastError ? { lastError } : {}) };
    },

    async stop() {
      stopped = true;
      connected = false;
      for (const chatId of [...typingTimers.keys()]) stopTyping(chatId);
      const current = client;
      client = undefined;
      host = undefined;
      if (current) await current.destroy();
      await inbound;
    },

    async send(message): Promise<SendResult> {
      const posts = plan(message);
      const state = progress.get(message.idempotencyKey) ?? { ids: [], posts: 0 };
      progress.set(message.idempotencyKey, state);
      stopTyping(message.chatId);
      for (let i = state.posts; i < posts.length; i++) {
        const planned = posts[i];
        if (planned) state.ids.push(await post(message, planned, i));
        state.posts = i + 1;
      }
      progress.delete(message.idempotencyKey);
      while (progress.size > 1_000) {
        const oldest = progress.keys().next().value;
        if (oldest === undefined) break;
        progress.delete(oldest);
      }
      return { platformMessageIds: state.ids };
    },

    async setTyping(chatId, typing) {
      stopTyping(chatId);
      if (!typing) return;
      const ping = async () => {
        try {
          await rest().post(Routes.channelTyping(chatId));
        } catch (error) {
          logger.debug({ err: errorMessage(error), chatId }, 'discord: typing failed');
        }
      };
      await ping();
      const timer = setInterval(() => void ping(), TYPING_REFRESH_MS);
      timer.unref();
      typingTimers.set(chatId, timer);
    },

    isMention(text) {
      if (!botUserId) return false;
      return text.includes(`<@${botUserId}>`) || text.includes(`<@!${botUserId}>`);
    },

    async downloadAttachment(ref) {
      const response = await fetch(ref);
      if (!response.ok) throw new DiscordChannelError(`discord: downloading ${ref}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
  return channel;
}

/** Discord nonces are at most 25 characters: a hash of the idempotency key and the post's index. */
function nonceFor(idempotencyKey: string, index: number): string {
  return createHash('sha256').update(`${idempotencyKey}\u0000${index}`).digest('base64url').slice(0, 25);
}
