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
} from '@nanoclaw/channel-registry';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type ChannelLimits,
  errorMessage,
  type InboundMessageInput,
  type Logger,
} from '@nanoclaw/core';
import { DisconnectReason, jidNormalizedUser, type proto, type WAMessage, type WAMessageKey } from 'baileys';
import { type SecureAuthState, useSecureAuthState } from './auth-state.js';
import { makeBaileysSocket } from './baileys-socket.js';
import { createDedupe } from './dedupe.js';
import { type DownloadMedia, downloadAttachmentRef } from './download.js';
import { statusCodeOf } from './errors.js';
import { createLru } from './lru.js';
import { textMentionsSelf, toInboundMessage, WHATSAPP_CHANNEL, type WhatsAppSelf } from './map-message.js';
import { printQrToTerminal, type QrHandler } from './qr.js';
import { sendOutbound, WHATSAPP_MAX_TEXT } from './send.js';
import { type MakeWhatsAppSocket, toBaileysLogger, type WhatsAppSocket } from './socket.js';

export const WHATSAPP_LIMITS: ChannelLimits = {
  maxTextLength: WHATSAPP_MAX_TEXT,
  attachments: true,
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
  downloadAttachment(ref: string): Promise<Uint8Array>;
}

interface PendingStart {
  resolve(): void;
  reject(error: Error): void;
}

export function createWhatsAppChannel(options: WhatsAppChannelOptions): WhatsAppChannel {
  const accountId = options.accountId ?? 'default';
  const timers = options.timers ?? realTimers;
  const random = options.random ?? Math.random;
  const makeSocket = options.makeSocket ?? makeBaileysSocket;
  const readReceipts = options.readReceipts ?? true;
  const dedupe = createDedupe();
  const ownSent = createLru<proto.IMessage | undefined>(1000);
  const recentInbound = createLru<WAMessage>(500);
  const progress = createLru<string[]>(500);
  let logger: Logger | undefined = options.logger;
  let auth: SecureAuthState | undefined;
  let socket: WhatsAppSocket | undefined;
  let self: WhatsAppSelf | undefined;
  let host: ChannelHost | undefined;
  let running = false;
  let pendingStart: PendingStart | undefined;
  let reconnectTimer: unknown;
  let failures = 0;
  let queue: Promise<void> = Promise.resolve();
  let health: ChannelHealth = { connected: false };
  const log = () => logger as Logger;
  const onQr = () => options.onQr ?? printQrToTerminal(accountId);
  const typing = createTypingTracker({
    refreshMs: options.typingRefreshMs ?? 8000,
    timers,
    sendTyping: (chatId) => requireSocket().sendPresenceUpdate('composing', chatId),
    onError: (chatId, error) => logger?.debug({ chatId, err: errorMessage(error) }, 'whatsapp typing failed'),
  });

  function requireSocket(): WhatsAppSocket {
    if (!socket) throw new ChannelError('whatsapp is not connected');
    return socket;
  }

  function settleStart(error?: Error): void {
    const pending = pendingStart;
    pendingStart = undefined;
    if (error) pending?.reject(error);
    else pending?.resolve();
  }

  async function connect(): Promise<void> {
    if (!auth) throw new Error('whatsapp auth state not loaded');
    const state = auth;
    const sock = await makeSocket({
      auth: state.state,
      logger: toBaileysLogger(log(), options.baileysLogLevel),
      getMessage: async (key: WAMessageKey) => (key.id ? ownSent.get(key.id) : undefined),
    });
    socket = sock;
    sock.ev.on('creds.update', () => {
      state
        .saveCreds()
        .catch((error: unknown) => log().error({ err: errorMessage(error) }, 'whatsapp creds not saved'));
    });
    sock.ev.on('connection.update', (update) => {
      if (sock !== socket) return;
      if (update.qr) {
        health = { connected: false, lastError: 'waiting for QR pairing (scan the code in the terminal)' };
        onQr()(update.qr);
        settleStart();
      }
      if (update.connection === 'open') {
        failures = 0;
        self = selfOf(sock.user);
        health = { connected: true };
        log().info({ self: self?.pn ?? self?.lid }, 'whatsapp connected');
        settleStart();
      }
      if (update.connection === 'close') onClose(update.lastDisconnect?.error);
    });
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (sock !== socket || type !== 'notify') return;
      // WhatsApp never redelivers: a failure is logged and the queue goes on with the next batch.
      queue = queue
        .then(() => handleMessages(messages))
        .catch((error: unknown) =>
          log().error({ err: errorMessage(error) }, 'whatsapp messages lost: handling them failed'),
        );
    });
  }

  function onClose(error: unknown): void {
    socket = undefined;
    typing.stopAll();
    if (!running) return;
    const code = statusCodeOf(error);
    const reason =
      `${code ?? ''} ${error === undefined || error === null ? 'connection closed' : errorMessage(error)}`.trim();
    health = { connected: false, lastError: reason };
    if (code === DisconnectReason.loggedOut) {
      health = {
        connected: false,
        lastError: 'logged out (device unlinked on the phone); restart to pair again',
      };
      log().error(
        'whatsapp logged out: the linked device was removed; the auth state is cleared, restart to pair again',
      );
      auth
        ?.clear()
        .catch((error: unknown) =>
          log().warn({ err: errorMessage(error) }, 'whatsapp auth state not cleared'),
        );
      running = false;
      settleStart(new ChannelError('whatsapp logged out; pair again', { permanent: true, cause: error }));
      return;
    }
    if (pendingStart && code !== DisconnectReason.restartRequired) {
      settleStart(new ChannelError(`whatsapp connection failed: ${reason}`, { cause: error }));
      return;
    }
    const delay =
      code === DisconnectReason.restartRequired ? 0 : backoffDelay(failures++, options.backoff, random);
    log().warn({ err: reason, delayMs: delay }, 'whatsapp connection closed; reconnecting');
    reconnectTimer = timers.setTimeout(() => {
      reconnectTimer = undefined;
      if (running) connect().catch((e: unknown) => onClose(e));
    }, delay);
  }

  async function handleMessages(messages: WAMessage[]): Promise<void> {
    for (const message of messages) {
      if (!running || !host) return;
      await handleMessage(host, message);
    }
  }

  async function handleMessage(channelHost: ChannelHost, message: WAMessage): Promise<void> {
    const id = message.key.id;
    if (!id || (message.key.fromMe && ownSent.has(id))) return;
    const inbound = toInboundMessage(message, { accountId, self: self ?? {} });
    if (!inbound) return;
    const key = `${inbound.chatId}/${id}`;
    recentInbound.set(key, message);
    try {
      await dedupe.run(key, () => receiveWithRetry(channelHost, inbound));
    } catch (error) {
      log().error(
        { chatId: inbound.chatId, id, err: errorMessage(error) },
        'whatsapp message lost: the host did not store it',
      );
      return;
    }
    if (readReceipts && !message.key.fromMe) {
      socket
        ?.readMessages([message.key])
        .catch((error: unknown) => log().debug({ err: errorMessage(error) }, 'read receipt failed'));
    }
  }

  /** WhatsApp acknowledges at the protocol level on receipt and never redelivers: retry the host a few times. */
  async function receiveWithRetry(channelHost: ChannelHost, inbound: InboundMessageInput): Promise<void> {
    const attempts = options.receiveAttempts ?? 5;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { duplicate } = await channelHost.receive(inbound);
        if (duplicate)
          log().debug({ chatId: inbound.chatId, id: inbound.platformMessageId }, 'whatsapp duplicate');
        return;
      } catch (error) {
        if (attempt + 1 >= attempts || !running) throw error;
        await sleep(backoffDelay(attempt, { baseMs: 500, maxMs: 10_000 }, random), timers);
      }
    }
  }

  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: WHATSAPP_CHANNEL,
    accountId,
    limits: WHATSAPP_LIMITS,
    get self() {
      return self;
    },
    health: () => ({ ...health }),

    async start(channelHost) {
      if (running) return;
      running = true;
      host = channelHost;
      logger = options.logger ?? channelHost.logger;
      auth ??= await useSecureAuthState(options.authDir);
      if (!auth.existed)
        log().info({ authDir: options.authDir }, 'whatsapp: not paired yet, a QR code follows');
      const started = new Promise<void>((resolve, reject) => {
        pendingStart = { resolve, reject };
      });
      connect().catch((error: unknown) =>
        settleStart(error instanceof Error ? error : new Error(String(error))),
      );
      try {
        await started;
      } catch (error) {
        running = false;
        const sock = socket;
        socket = undefined;
        sock?.end(undefined);
        throw error;
      }
    },

    async stop() {
      running = false;
      if (reconnectTimer !== undefined) timers.clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      typing.stopAll();
      const sock = socket;
      socket = undefined;
      settleStart(new Error('whatsapp channel stopped'));
      try {
        sock?.end(undefined);
      } catch {
        // already closed
      }
      await queue;
      health = { connected: false };
    },

    async send(message) {
      const key = message.idempotencyKey;
      const quoted = message.replyToPlatformMessageId
        ? recentInbound.get(`${message.chatId}/${message.replyToPlatformMessageId}`)
        : undefined;
      const done = [...(progress.get(key) ?? [])];
      try {
        const result = await sendOutbound(message, {
          socket,
          ...(quoted ? { quoted } : {}),
          done,
          onSent: (sent) => {
            if (sent.key.id) ownSent.set(sent.key.id, sent.message ?? undefined);
          },
        });
        progress.delete(key);
        return result;
      } catch (error) {
        if (done.length > 0) progress.set(key, done);
        throw error;
      }
    },

    async setTyping(chatId, on) {
      if (on) return typing.start(chatId);
      typing.stop(chatId);
      await socket?.sendPresenceUpdate('paused', chatId).catch(() => {});
    },

    isMention: (text) => (self ? textMentionsSelf(text, self) : false),

    downloadAttachment: (ref) => downloadAttachmentRef(ref, options.downloadMedia),
  };
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
