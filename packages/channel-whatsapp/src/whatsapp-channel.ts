import {
  type BackoffOptions,
  backoffDelay,
  ChannelError,
  type ChannelHealth,
  createTypingTracker,
  type ReportsChannelHealth,
  realTimers,
  sleep,
  type Timers,
  type TypingTracker,
} from '@nanoclaw/channel-registry';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type ChannelLimits,
  type DownloadAttachmentOptions,
  errorMessage,
  type InboundMessageInput,
  type Logger,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import {
  DisconnectReason,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  type proto,
  type WAMessage,
  type WAMessageKey,
} from 'baileys';
import { type SecureAuthState, useSecureAuthState } from './auth-state.js';
import { makeBaileysSocket } from './baileys-socket.js';
import { createDedupe } from './dedupe.js';
import { type DownloadMedia, downloadAttachmentRef } from './download.js';
import { statusCodeOf } from './errors.js';
import { createLru } from './lru.js';
import { textMentionsSelf, toInboundMessage, WHATSAPP_CHANNEL, type WhatsAppSelf } from './map-message.js';
import { printQrToTerminal, type QrHandler } from './qr.js';
import { sendOutbound, WHATSAPP_MAX_TEXT, WHATSAPP_MAX_UPLOAD_BYTES } from './send.js';
import { type MakeWhatsAppSocket, toBaileysLogger, type WhatsAppSocket } from './socket.js';

export const WHATSAPP_LIMITS: ChannelLimits = {
  maxTextLength: WHATSAPP_MAX_TEXT,
  attachments: true,
  maxAttachmentBytes: WHATSAPP_MAX_UPLOAD_BYTES,
  typingIndicator: true,
};

export interface WhatsAppChannelOptions {
  /** Folder for the multi-device auth state (created 0700, files 0600). One per account. */
  authDir: string;
  /** Default `default`. */
  accountId?: string;
  /** Default: the host's logger from `start`. */
  logger?: Logger;
  /** Default: Baileys' `makeWASocket`. Tests pass a fake socket factory. */
  makeSocket?: MakeWhatsAppSocket;
  /** What to do with a pairing QR code; default: print it small on stderr. */
  onQr?: QrHandler;
  /** Mark messages read once the host stored them (blue ticks); default true. */
  readReceipts?: boolean;
  /** Reconnect backoff (default 1 s doubling to 60 s, half jitter). */
  backoff?: BackoffOptions;
  /** Tries of `host.receive` per message before it is logged as lost (WhatsApp does not redeliver); default 5. */
  receiveAttempts?: number;
  /** How often "typing…" is renewed; default 8 s. */
  typingRefreshMs?: number;
  /** Baileys' own log level bridged to the logger (default `warn`). */
  baileysLogLevel?: 'warn' | 'info' | 'debug';
  /** Media download for `downloadAttachment` (default: Baileys from WhatsApp's CDN). */
  downloadMedia?: DownloadMedia;
  timers?: Timers;
  random?: () => number;
}

/** The WhatsApp adapter: a `ChannelAdapter` plus what the host may use besides the spec. */
export interface WhatsAppChannel extends ChannelAdapter, ReportsChannelHealth {
  /** The linked account (phone-number jid, LID, name) once connected. */
  readonly self: WhatsAppSelf | undefined;
  /** The bytes of an inbound attachment by its `ref` (`wa-media:v1:…`), from WhatsApp's CDN. */
  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
  /** A user's direct chat: their JID (from a user JID or a phone number). */
  openDirectChat(userId: string): Promise<string>;
}

interface PendingStart {
  resolve(): void;
  reject(error: Error): void;
}

export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  return new WhatsAppAdapter(options);
}

class WhatsAppAdapter implements WhatsAppChannel {
  readonly specificationVersion = CHANNEL_ADAPTER_SPEC_VERSION;
  readonly channel = WHATSAPP_CHANNEL;
  readonly accountId: string;
  readonly limits = WHATSAPP_LIMITS;
  readonly #options: WhatsAppChannelOptions;
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #dedupe = createDedupe();
  readonly #ownSent = createLru<proto.IMessage | undefined>(1000);
  readonly #recentInbound = createLru<WAMessage>(500);
  readonly #progress = createLru<string[]>(500);
  readonly #typing: TypingTracker;
  #logger: Logger | undefined;
  #auth: SecureAuthState | undefined;
  #socket: WhatsAppSocket | undefined;
  #self: WhatsAppSelf | undefined;
  #host: ChannelHost | undefined;
  #running = false;
  #pendingStart: PendingStart | undefined;
  #reconnectTimer: unknown;
  #failures = 0;
  #queue: Promise<void> = Promise.resolve();
  #health: ChannelHealth = { connected: false };

  constructor(options: WhatsAppChannelOptions) {
    this.#options = options;
    this.accountId = options.accountId ?? 'default';
    this.#timers = options.timers ?? realTimers;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#typing = createTypingTracker({
      refreshMs: options.typingRefreshMs ?? 8000,
      timers: this.#timers,
      sendTyping: (chatId) => this.#requireSocket().sendPresenceUpdate('composing', chatId),
      onError: (chatId, error) =>
        this.#logger?.debug({ chatId, err: errorMessage(error) }, 'whatsapp typing failed'),
    });
  }

  get self(): WhatsAppSelf | undefined {
    return this.#self;
  }

  health(): ChannelHealth {
    return { ...this.#health };
  }

  async start(channelHost: ChannelHost): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#host = channelHost;
    this.#logger = this.#options.logger ?? channelHost.logger;
    this.#auth ??= await useSecureAuthState(this.#options.authDir);
    if (!this.#auth.existed) {
      this.#log().info({ authDir: this.#options.authDir }, 'whatsapp: not paired yet, a QR code follows');
    }
    const started = new Promise<void>((resolve, reject) => {
      this.#pendingStart = { resolve, reject };
    });
    this.#connect().catch((error: unknown) =>
      this.#settleStart(error instanceof Error ? error : new Error(String(error))),
    );
    try {
      await started;
    } catch (error) {
      this.#running = false;
      const sock = this.#socket;
      this.#socket = undefined;
      sock?.end(undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#reconnectTimer !== undefined) this.#timers.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#typing.stopAll();
    const sock = this.#socket;
    this.#socket = undefined;
    this.#settleStart(new Error('whatsapp channel stopped'));
    try {
      sock?.end(undefined);
    } catch {
      // already closed
    }
    await this.#queue;
    this.#health = { connected: false };
  }

  /**
   * A WhatsApp user's direct chat is their own JID: a user id as messages carry it (`<number>@s.whatsapp.net`, or
   * a `@lid`), or a bare phone number. Group JIDs and anything else are refused. (WhatsApp has no buttons: cards
   * reach this chat as a numbered list.)
   */
  async openDirectChat(userId: string): Promise<string> {
    const jid = /^\+?\d{5,20}$/.test(userId) ? `${userId.replace('+', '')}@s.whatsapp.net` : userId;
    if (!isPnUser(jid) && !isLidUser(jid)) {
      throw new ChannelError(
        `${JSON.stringify(userId)} is not a WhatsApp user (a phone number or a user JID)`,
        {
          permanent: true,
        },
      );
    }
    return jidNormalizedUser(jid);
  }

  /** Sends the parts not yet sent for this idempotency key; a retry after a failure resumes there. */
  async send(message: OutboundMessage): Promise<SendResult> {
    const key = message.idempotencyKey;
    const quoted = message.replyToPlatformMessageId
      ? this.#recentInbound.get(`${message.chatId}/${message.replyToPlatformMessageId}`)
      : undefined;
    const done = [...(this.#progress.get(key) ?? [])];
    try {
      const result = await sendOutbound(message, {
        socket: this.#socket,
        ...(quoted ? { quoted } : {}),
        done,
        onSent: (sent) => {
          if (sent.key.id) this.#ownSent.set(sent.key.id, sent.message ?? undefined);
        },
      });
      this.#progress.delete(key);
      return result;
    } catch (error) {
      if (done.length > 0) this.#progress.set(key, done);
      throw error;
    }
  }

  async setTyping(chatId: string, on: boolean): Promise<void> {
    if (on) return this.#typing.start(chatId);
    this.#typing.stop(chatId);
    await this.#socket
      ?.sendPresenceUpdate('paused', chatId)
      .catch((error: unknown) =>
        this.#logger?.debug({ chatId, err: errorMessage(error) }, 'whatsapp typing not paused'),
      );
  }

  isMention(text: string): boolean {
    return this.#self ? textMentionsSelf(text, this.#self) : false;
  }

  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array> {
    return downloadAttachmentRef(ref, this.#options.downloadMedia, options);
  }

  #log(): Logger {
    return this.#logger as Logger;
  }

  #requireSocket(): WhatsAppSocket {
    if (!this.#socket) throw new ChannelError('whatsapp is not connected');
    return this.#socket;
  }

  #settleStart(error?: Error): void {
    const pending = this.#pendingStart;
    this.#pendingStart = undefined;
    if (error) pending?.reject(error);
    else pending?.resolve();
  }

  /** Opens a socket with the auth state and wires its events. */
  async #connect(): Promise<void> {
    if (!this.#auth) throw new Error('whatsapp auth state not loaded');
    const state = this.#auth;
    const sock = await (this.#options.makeSocket ?? makeBaileysSocket)({
      auth: state.state,
      logger: toBaileysLogger(this.#log(), this.#options.baileysLogLevel),
      getMessage: async (key: WAMessageKey) => (key.id ? this.#ownSent.get(key.id) : undefined),
    });
    this.#socket = sock;
    sock.ev.on('creds.update', () => {
      state
        .saveCreds()
        .catch((error: unknown) =>
          this.#log().error({ err: errorMessage(error) }, 'whatsapp creds not saved'),
        );
    });
    sock.ev.on('connection.update', (update) => {
      if (sock !== this.#socket) return;
      if (update.qr) this.#onQr(update.qr);
      if (update.connection === 'open') this.#onOpen(sock);
      if (update.connection === 'close') this.#onClose(update.lastDisconnect?.error);
    });
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (sock !== this.#socket || type !== 'notify') return;
      // WhatsApp never redelivers: a failure is logged and the queue goes on with the next batch.
      this.#queue = this.#queue
        .then(() => this.#handleMessages(messages))
        .catch((error: unknown) =>
          this.#log().error({ err: errorMessage(error) }, 'whatsapp messages lost: handling them failed'),
        );
    });
  }

  #onQr(qr: string): void {
    this.#health = { connected: false, lastError: 'waiting for QR pairing (scan the code in the terminal)' };
    (this.#options.onQr ?? printQrToTerminal(this.accountId))(qr);
    this.#settleStart();
  }

  #onOpen(sock: WhatsAppSocket): void {
    this.#failures = 0;
    this.#self = selfOf(sock.user);
    this.#health = { connected: true };
    this.#log().info({ self: this.#self?.pn ?? this.#self?.lid }, 'whatsapp connected');
    this.#settleStart();
  }

  /** A closed socket: logged out (give up), failed before the first open (fail start), else reconnect. */
  #onClose(error: unknown): void {
    this.#socket = undefined;
    this.#typing.stopAll();
    if (!this.#running) return;
    const code = statusCodeOf(error);
    const reason =
      `${code ?? ''} ${error === undefined || error === null ? 'connection closed' : errorMessage(error)}`.trim();
    this.#health = { connected: false, lastError: reason };
    if (code === DisconnectReason.loggedOut) {
      this.#onLoggedOut(error);
      return;
    }
    if (this.#pendingStart && code !== DisconnectReason.restartRequired) {
      this.#settleStart(new ChannelError(`whatsapp connection failed: ${reason}`, { cause: error }));
      return;
    }
    const delay =
      code === DisconnectReason.restartRequired
        ? 0
        : backoffDelay(this.#failures++, this.#options.backoff, this.#random);
    this.#log().warn({ err: reason, delayMs: delay }, 'whatsapp connection closed; reconnecting');
    this.#reconnectTimer = this.#timers.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#running) this.#connect().catch((e: unknown) => this.#onClose(e));
    }, delay);
  }

  #onLoggedOut(error: unknown): void {
    this.#health = {
      connected: false,
      lastError: 'logged out (device unlinked on the phone); restart to pair again',
    };
    this.#log().error(
      'whatsapp logged out: the linked device was removed; the auth state is cleared, restart to pair again',
    );
    this.#auth
      ?.clear()
      .catch((clearError: unknown) =>
        this.#log().warn({ err: errorMessage(clearError) }, 'whatsapp auth state not cleared'),
      );
    this.#running = false;
    this.#settleStart(new ChannelError('whatsapp logged out; pair again', { permanent: true, cause: error }));
  }

  async #handleMessages(messages: WAMessage[]): Promise<void> {
    for (const message of messages) {
      if (!this.#running || !this.#host) return;
      await this.#handleMessage(this.#host, message);
    }
  }

  async #handleMessage(channelHost: ChannelHost, message: WAMessage): Promise<void> {
    const id = message.key.id;
    if (!id || (message.key.fromMe && this.#ownSent.has(id))) return;
    const inbound = toInboundMessage(message, { accountId: this.accountId, self: this.#self ?? {} });
    if (!inbound) return;
    const key = `${inbound.chatId}/${id}`;
    this.#recentInbound.set(key, message);
    try {
      await this.#dedupe.run(key, () => this.#receiveWithRetry(channelHost, inbound));
    } catch (error) {
      this.#log().error(
        { chatId: inbound.chatId, id, err: errorMessage(error) },
        'whatsapp message lost: the host did not store it',
      );
      return;
    }
    if ((this.#options.readReceipts ?? true) && !message.key.fromMe) {
      this.#socket
        ?.readMessages([message.key])
        .catch((error: unknown) => this.#log().debug({ err: errorMessage(error) }, 'read receipt failed'));
    }
  }

  /** WhatsApp acknowledges at the protocol level on receipt and never redelivers: retry the host a few times. */
  async #receiveWithRetry(channelHost: ChannelHost, inbound: InboundMessageInput): Promise<void> {
    const attempts = this.#options.receiveAttempts ?? 5;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { duplicate } = await channelHost.receive(inbound);
        if (duplicate) {
          this.#log().debug({ chatId: inbound.chatId, id: inbound.platformMessageId }, 'whatsapp duplicate');
        }
        return;
      } catch (error) {
        if (attempt + 1 >= attempts || !this.#running) throw error;
        await sleep(backoffDelay(attempt, { baseMs: 500, maxMs: 10_000 }, this.#random), this.#timers);
      }
    }
  }
}

function selfOf(user: WhatsAppSocket['user']): WhatsAppSelf | undefined {
  if (!user) return undefined;
  const name = user.name ?? user.notify;
  return {
    ...(user.id ? { pn: jidNormalizedUser(user.id) } : {}),
    ...(user.lid ? { lid: jidNormalizedUser(user.lid) } : {}),
    ...(name ? { name } : {}),
  };
}
