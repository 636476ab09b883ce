import { createHash } from 'node:crypto';
import {
  type ChannelHealth,
  readAttachmentFile,
  readCappedResponse,
  silentLogger,
  splitMessage,
} from '@nanoclaw/channel-registry';
import {
  type Attachment,
  type CardAction,
  type CardActionResult,
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type DownloadAttachmentOptions,
  errorMessage,
  type InboundMessageInput,
  type Logger,
  type OutboundCard,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import {
  type ButtonInteraction,
  Client,
  Events,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  Options,
  Partials,
  type RawFile,
  Routes,
} from 'discord.js';
import {
  cardComponents,
  DISCORD_MAX_CARD_OPTIONS,
  guardInteractionParsing,
  toCardAction,
  truncate,
} from './discord-cards.js';
import { DiscordChannelError, toDiscordChannelError } from './discord-errors.js';
import { type RawReferenced, toDiscordInbound } from './discord-inbound.js';

export const DISCORD_CHANNEL = 'discord';
/** Discord's cap on message content. */
export const DISCORD_MAX_TEXT_LENGTH = 2_000;
/** A bot's upload limit in a server without boosts (and in DMs): 10 MiB per file. */
export const DISCORD_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Discord takes at most 10 files per message. */
export const DISCORD_MAX_FILES_PER_MESSAGE = 10;
export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';
/** A typing indicator lasts about 10 s; refresh it before it lapses. */
const TYPING_REFRESH_MS = 8_000;
/** Discord's codes for an interaction callback that comes too late or twice (a replayed tap). */
const INTERACTION_ALREADY_ANSWERED = new Set([10062, 40060]);
/** Shown to a tapper when the host could not take the tap (it threw). */
const TAP_FAILED_TEXT = 'That did not go through. Please try again in a moment.';

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
  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
  sendCard(card: OutboundCard): Promise<SendResult>;
  openDirectChat(userId: string): Promise<string>;
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
  return new DiscordAdapter(options);
}

class DiscordAdapter implements DiscordChannel {
  readonly specificationVersion = CHANNEL_ADAPTER_SPEC_VERSION;
  readonly channel = DISCORD_CHANNEL;
  readonly accountId: string;
  readonly limits = {
    maxTextLength: DISCORD_MAX_TEXT_LENGTH,
    attachments: true,
    maxAttachmentBytes: DISCORD_MAX_UPLOAD_BYTES,
    typingIndicator: true,
  };
  readonly #options: DiscordChannelOptions;
  readonly #apiUrl: string;
  readonly #logger: Logger;
  readonly #retryDelays: readonly number[];
  readonly #readAttachment: (attachment: Attachment, message: OutboundMessage) => Promise<Uint8Array>;
  readonly #progress = new Map<string, SendProgress>();
  readonly #typingTimers = new Map<string, NodeJS.Timeout>();
  /** MESSAGE_CREATE `referenced_message` by message id, from the raw packet (messages are not cached). */
  readonly #referencedById = new Map<string, RawReferenced>();
  #client: Client | undefined;
  #host: ChannelHost | undefined;
  #botUserId: string | undefined;
  #inbound: Promise<void> = Promise.resolve();
  #stopped = false;
  #connected = false;
  #lastError: string | undefined;

  constructor(options: DiscordChannelOptions) {
    this.#options = options;
    this.accountId = options.accountId ?? 'default';
    this.#apiUrl = (options.apiUrl ?? DEFAULT_DISCORD_API_URL).replace(/\/+$/, '');
    this.#logger = (options.logger ?? silentLogger()).child({
      channel: DISCORD_CHANNEL,
      accountId: this.accountId,
    });
    this.#retryDelays = options.receiveRetryDelaysMs ?? [250, 500, 1_000, 2_000, 4_000];
    this.#readAttachment =
      options.readAttachment ?? ((attachment) => readAttachmentFile(attachment, options.attachmentRoot));
  }

  get botUserId(): string | undefined {
    return this.#botUserId;
  }

  async start(channelHost: ChannelHost): Promise<void> {
    if (this.#client) throw new Error('discord channel already started');
    this.#stopped = false;
    this.#host = channelHost;
    const next = createClient(this.#options, this.#apiUrl);
    this.#client = next;
    this.#listen(next);
    try {
      await this.#login(next);
    } catch (error) {
      this.#client = undefined;
      this.#host = undefined;
      await next
        .destroy()
        .catch((destroyError: unknown) =>
          this.#logger.debug(
            { err: errorMessage(destroyError) },
            'discord: destroying a failed client failed',
          ),
        );
      throw toDiscordChannelError(error, 'discord login');
    }
    this.#botUserId = next.user?.id;
    this.#connected = true;
    this.#lastError = undefined;
    this.#logger.info({ botUserId: this.#botUserId }, 'discord: connected to the gateway');
  }

  health(): ChannelHealth {
    return {
      connected: this.#client !== undefined && this.#connected,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connected = false;
    for (const chatId of [...this.#typingTimers.keys()]) this.#stopTyping(chatId);
    const current = this.#client;
    this.#client = undefined;
    this.#host = undefined;
    if (current) await current.destroy();
    await this.#inbound;
  }

  /** Posts the parts not yet sent for this idempotency key; a retry after a failure resumes there. */
  async send(message: OutboundMessage): Promise<SendResult> {
    const posts = planPosts(message);
    const state = this.#progress.get(message.idempotencyKey) ?? { ids: [], posts: 0 };
    this.#progress.set(message.idempotencyKey, state);
    this.#stopTyping(message.chatId);
    for (let i = state.posts; i < posts.length; i++) {
      const planned = posts[i];
      if (planned) state.ids.push(await this.#post(message, planned, i));
      state.posts = i + 1;
    }
    this.#progress.delete(message.idempotencyKey);
    while (this.#progress.size > 1_000) {
      const oldest = this.#progress.keys().next().value;
      if (oldest === undefined) break;
      this.#progress.delete(oldest);
    }
    return { platformMessageIds: state.ids };
  }

  /** One message: the text (cut to 2,000 characters) over action rows of buttons whose `custom_id` is the data. */
  async sendCard(card: OutboundCard): Promise<SendResult> {
    const count = card.options.length;
    if (count < 1 || count > DISCORD_MAX_CARD_OPTIONS) {
      const message = `discord: a card takes 1 to ${DISCORD_MAX_CARD_OPTIONS} options, not ${count}`;
      throw new DiscordChannelError(message, { permanent: true });
    }
    let components: ReturnType<typeof cardComponents>;
    try {
      components = cardComponents(card.options);
    } catch (error) {
      throw new DiscordChannelError(`discord: invalid card button: ${errorMessage(error)}`, {
        permanent: true,
        cause: error,
      });
    }
    const body = {
      content: truncate(card.text, DISCORD_MAX_TEXT_LENGTH),
      components,
      allowed_mentions: { parse: ['users'] },
    };
    try {
      const result = (await this.#rest().post(Routes.channelMessages(card.threadId ?? card.chatId), {
        body,
      })) as { id?: string };
      return { platformMessageIds: [result.id ?? ''] };
    } catch (error) {
      throw toDiscordChannelError(error, 'POST /channels/:id/messages (card)');
    }
  }

  /** The DM channel with this user (`POST /users/@me/channels`; discord.js caches it). */
  async openDirectChat(userId: string): Promise<string> {
    if (!this.#client) throw new DiscordChannelError('discord channel is not started');
    try {
      const channel = await this.#client.users.createDM(userId);
      return channel.id;
    } catch (error) {
      throw toDiscordChannelError(error, 'POST /users/@me/channels');
    }
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    this.#stopTyping(chatId);
    if (!typing) return;
    // Never rejects: a failed typing ping is only logged.
    const ping = async () => {
      try {
        await this.#rest().post(Routes.channelTyping(chatId));
      } catch (error) {
        this.#logger.debug({ err: errorMessage(error), chatId }, 'discord: typing failed');
      }
    };
    await ping();
    const timer = setInterval(() => void ping(), TYPING_REFRESH_MS);
    timer.unref();
    this.#typingTimers.set(chatId, timer);
  }

  isMention(text: string): boolean {
    const botUserId = this.#botUserId;
    if (!botUserId) return false;
    return text.includes(`<@${botUserId}>`) || text.includes(`<@!${botUserId}>`);
  }

  async downloadAttachment(ref: string, options: DownloadAttachmentOptions = {}): Promise<Uint8Array> {
    const response = await fetch(ref, options.signal ? { signal: options.signal } : {});
    if (!response.ok) throw new DiscordChannelError(`discord: downloading ${ref}: HTTP ${response.status}`);
    return readCappedResponse(response, options);
  }

  #rest(): Client['rest'] {
    if (!this.#client) throw new DiscordChannelError('discord channel is not started');
    return this.#client.rest;
  }

  /** Wires the gateway events: raw packets (for replied-to text), messages, and the session's health. */
  #listen(next: Client): void {
    next.on(Events.Raw, (packet: { t?: string; d?: { id?: string; referenced_message?: RawReferenced } }) => {
      if (packet.t !== 'MESSAGE_CREATE' || !packet.d?.id || !packet.d.referenced_message) return;
      this.#referencedById.set(packet.d.id, packet.d.referenced_message);
      if (this.#referencedById.size > 100) {
        this.#referencedById.delete(this.#referencedById.keys().next().value ?? '');
      }
    });
    next.on(Events.MessageCreate, (message) => this.#onMessage(message));
    next.on(Events.InteractionCreate, (interaction) => this.#onInteraction(interaction));
    const guarded = guardInteractionParsing(next, (error) =>
      this.#logger.warn({ err: errorMessage(error) }, 'discord: malformed interaction dropped'),
    );
    if (!guarded) this.#logger.warn('discord: cannot guard interaction parsing in this discord.js version');
    next.on(Events.Error, (error) => {
      this.#lastError = error.message;
      this.#logger.warn({ err: error.message }, 'discord: client error');
    });
    next.on(Events.ShardDisconnect, (event) => {
      this.#connected = false;
      this.#logger.warn({ code: event.code }, 'discord: gateway disconnected');
    });
    next.on(Events.ShardReconnecting, () => {
      this.#connected = false;
      this.#logger.info('discord: gateway reconnecting');
    });
    next.on(Events.ShardResume, (_id, replayed) => {
      this.#connected = true;
      this.#logger.info({ replayed }, 'discord: gateway resumed');
    });
    next.on(Events.ShardReady, () => {
      this.#connected = true;
    });
  }

  /** Logs in and waits for READY (and the guilds), at most `readyTimeoutMs`. */
  async #login(next: Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new DiscordChannelError('discord: timed out waiting for READY')),
        this.#options.readyTimeoutMs ?? 30_000,
      );
      next.once(Events.ClientReady, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await next.login(this.#options.token);
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  #onMessage(message: Message): void {
    const referenced = this.#referencedById.get(message.id);
    this.#referencedById.delete(message.id);
    const botUserId = this.#botUserId;
    if (!botUserId) return;
    const inboundMessage = toDiscordInbound(message, referenced, {
      botUserId,
      accountId: this.accountId,
      allowBots: this.#options.allowBots === true,
    });
    if (!inboundMessage) return;
    // The gateway never redelivers: a failure here is logged and the queue moves on to the next message.
    this.#inbound = this.#inbound
      .then(() => this.#deliver(inboundMessage))
      .catch((error: unknown) =>
        this.#logger.error(
          { err: errorMessage(error), messageId: inboundMessage.platformMessageId },
          'discord: message dropped, delivering it failed',
        ),
      );
  }

  /** A button tap goes to the host; whatever else arrives as an interaction is logged and dropped. */
  #onInteraction(interaction: Interaction): void {
    const botUserId = this.#botUserId;
    if (!botUserId || !interaction.isButton()) {
      this.#logger.debug(
        { interactionId: interaction.id, type: interaction.type },
        'discord: interaction ignored',
      );
      return;
    }
    const tap = toCardAction(interaction, {
      botUserId,
      accountId: this.accountId,
      allowBots: this.#options.allowBots === true,
    });
    if ('ignored' in tap) {
      this.#logger.warn(
        { interactionId: interaction.id, reason: tap.ignored },
        'discord: button tap ignored',
      );
      return;
    }
    // #answerTap never rejects by design; a failure here would be a bug worth a log, not a crash.
    this.#answerTap(interaction, tap.action).catch((error: unknown) =>
      this.#logger.error(
        { err: errorMessage(error), interactionId: interaction.id },
        'discord: button tap failed',
      ),
    );
  }

  /** Asks the host about the tap and shows its answer to the tapper only (an ephemeral interaction response). */
  async #answerTap(interaction: ButtonInteraction, action: CardAction): Promise<void> {
    const current = this.#host;
    if (!current || this.#stopped) return;
    let result: CardActionResult;
    try {
      result = await current.receiveAction(action);
    } catch (error) {
      this.#logger.error(
        { err: errorMessage(error), interactionId: action.platformActionId },
        'discord: the host could not take a button tap',
      );
      result = { accepted: false, text: TAP_FAILED_TEXT };
    }
    try {
      await interaction.reply({
        content: truncate(result.text, DISCORD_MAX_TEXT_LENGTH),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    } catch (error) {
      this.#logAnswerFailure(error, action.platformActionId);
    }
  }

  /** A replayed tap finds its interaction answered already (40060) or expired (10062): expected, not alarming. */
  #logAnswerFailure(error: unknown, interactionId: string): void {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'number' && INTERACTION_ALREADY_ANSWERED.has(code)) {
      this.#logger.info({ interactionId, code }, 'discord: tap already answered or expired (a replay?)');
      return;
    }
    this.#logger.warn({ err: errorMessage(error), interactionId }, 'discord: answering a button tap failed');
  }

  /**
   * Hands one message to the host, retrying a failed receive (the gateway never redelivers). A message seen
   * again (a resume replay) is handed over again too: the host's inbox answers `duplicate`.
   */
  async #deliver(inboundMessage: InboundMessageInput): Promise<void> {
    const messageId = inboundMessage.platformMessageId;
    for (let attempt = 0; ; attempt++) {
      const current = this.#host;
      if (!current || this.#stopped) return;
      try {
        await current.receive(inboundMessage);
        return;
      } catch (error) {
        const delay = this.#retryDelays[attempt];
        if (delay === undefined) {
          this.#logger.error(
            { err: errorMessage(error), messageId },
            'discord: message dropped, receive kept failing',
          );
          return;
        }
        this.#logger.warn(
          { err: errorMessage(error), messageId, delay },
          'discord: receive failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #post(message: OutboundMessage, planned: PlannedPost, index: number): Promise<string> {
    const files = await this.#readFiles(message, planned.files);
    const body = postBody(message, planned, index);
    if (files.length > 0) body.attachments = files.map((f, id) => ({ id, filename: f.name }));
    try {
      const result = (await this.#rest().post(Routes.channelMessages(message.threadId ?? message.chatId), {
        body,
        ...(files.length > 0 ? { files } : {}),
      })) as { id?: string };
      return result.id ?? '';
    } catch (error) {
      throw toDiscordChannelError(error, 'POST /channels/:id/messages');
    }
  }

  async #readFiles(message: OutboundMessage, attachments: Attachment[]): Promise<RawFile[]> {
    const files: RawFile[] = [];
    for (const attachment of attachments) {
      let bytes: Uint8Array;
      try {
        bytes = await this.#readAttachment(attachment, message);
      } catch (error) {
        throw new DiscordChannelError(
          `discord: cannot read attachment ${attachment.ref}: ${errorMessage(error)}`,
          { permanent: true, cause: error },
        );
      }
      files.push({ name: attachment.name, data: Buffer.from(bytes), contentType: attachment.mimeType });
    }
    return files;
  }

  #stopTyping(chatId: string): void {
    const timer = this.#typingTimers.get(chatId);
    if (timer) clearInterval(timer);
    this.#typingTimers.delete(chatId);
  }
}

/** A discord.js client for this channel: the intents it needs, no message cache, the REST base and limits. */
function createClient(options: DiscordChannelOptions, apiUrl: string): Client {
  const rateLimitWaitMaxMs = options.rateLimitWaitMaxMs ?? 5_000;
  return new Client({
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
}

/** Text chunks first (the first replies when asked), the attachments on the last, 10 files a post. */
function planPosts(message: OutboundMessage): PlannedPost[] {
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

function postBody(message: OutboundMessage, planned: PlannedPost, index: number): Record<string, unknown> {
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
  return body;
}

/** Discord nonces are at most 25 characters: a hash of the idempotency key and the post's index. */
function nonceFor(idempotencyKey: string, index: number): string {
  return createHash('sha256').update(`${idempotencyKey}\u0000${index}`).digest('base64url').slice(0, 25);
}
