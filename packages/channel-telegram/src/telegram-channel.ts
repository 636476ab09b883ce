import {
  AttachmentTooLargeError,
  type BackoffOptions,
  ChannelError,
  type ChannelHealth,
  createTypingTracker,
  type ReportsChannelHealth,
  readCappedResponse,
  realTimers,
  type Timers,
} from '@nanoclaw/channel-registry';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelLimits,
  type DownloadAttachmentOptions,
  type Logger,
  type OutboundCard,
  type SendResult,
} from '@nanoclaw/core';
import { Api } from 'grammy';
import { sendCard } from './cards.js';
import { openDirectChat } from './direct-chat.js';
import { describeError, isUnauthorized, toChannelError } from './errors.js';
import { handleUpdate } from './handle-update.js';
import { TELEGRAM_CHANNEL, type TelegramBotIdentity, textMentions } from './map-message.js';
import { runPollLoop } from './poll-loop.js';
import { createSendProgress, sendOutbound, TELEGRAM_MAX_UPLOAD_BYTES } from './send.js';

export const TELEGRAM_DEFAULT_API_ROOT = 'https://api.telegram.org';
export const TELEGRAM_MAX_TEXT_LENGTH = 4096;
/** The Bot API serves files up to 20 MB to bots. */
export const TELEGRAM_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export const TELEGRAM_LIMITS: ChannelLimits = {
  maxTextLength: TELEGRAM_MAX_TEXT_LENGTH,
  attachments: true,
  maxAttachmentBytes: TELEGRAM_MAX_UPLOAD_BYTES,
  typingIndicator: true,
};

export interface TelegramChannelOptions {
  /** The bot token from @BotFather (`<digits>:<secret>`). */
  token: string;
  /** Default `default`. */
  accountId?: string;
  /** Bot API root (a local Bot API server, or a fake one in tests). Default `https://api.telegram.org`. */
  apiRoot?: string;
  /** Default: the host's logger from `start`. */
  logger?: Logger;
  /** Long-poll wait in seconds (default 30). */
  pollTimeoutSeconds?: number;
  /** Reconnect backoff for failed polls (default 1 s doubling to 60 s, half jitter). */
  backoff?: BackoffOptions;
  /** How often a running typing indicator is renewed (Telegram shows one for 5 s; default 4 s). */
  typingRefreshMs?: number;
  timers?: Timers;
  random?: () => number;
}

/** The Telegram adapter: a `ChannelAdapter` plus what the host may use besides the spec. */
export interface TelegramChannel extends ChannelAdapter, ReportsChannelHealth {
  /** The bot's @username (without @), known after `start`. */
  readonly botUsername: string | undefined;
  /** The bytes of an inbound attachment by its `ref` (a Telegram file_id), through getFile. */
  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
  /** A message with one inline-keyboard button per option; taps reach `host.receiveAction`. */
  sendCard(card: OutboundCard): Promise<SendResult>;
  /** The private chat with this user (its id is the user id); rejects when the user has not started the bot. */
  openDirectChat(userId: string): Promise<string>;
}

export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const accountId = options.accountId ?? 'default';
  const apiRoot = (options.apiRoot ?? TELEGRAM_DEFAULT_API_ROOT).replace(/\/+$/, '');
  const api = new Api(options.token, { apiRoot });
  const timers = options.timers ?? realTimers;
  const progress = createSendProgress();
  let logger: Logger | undefined = options.logger;
  let bot: TelegramBotIdentity | undefined;
  let offset: number | undefined;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let health: ChannelHealth = { connected: false };
  const log = () => {
    if (!logger) throw new Error('telegram channel used before start');
    return logger;
  };
  const typing = createTypingTracker({
    refreshMs: options.typingRefreshMs ?? 4000,
    timers,
    sendTyping: (chatId) => api.sendChatAction(chatId, 'typing').then(() => {}),
    onError: (chatId, error) =>
      logger?.debug({ chatId, err: describeError(error) }, 'telegram typing failed'),
  });

  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: TELEGRAM_CHANNEL,
    accountId,
    limits: TELEGRAM_LIMITS,
    get botUsername() {
      return bot?.username;
    },
    health: () => ({ ...health }),

    async start(host) {
      if (loop) return;
      logger = options.logger ?? host.logger;
      const identity = await identify(api);
      bot = identity;
      const abort = new AbortController();
      controller = abort;
      health = { connected: true };
      loop = runPollLoop({
        api,
        timeoutSeconds: options.pollTimeoutSeconds ?? 30,
        offset,
        handle: (update) => handleUpdate({ api, host, accountId, bot: identity, logger: log() }, update),
        onHealth: (connected, error) => {
          health = error === undefined ? { connected } : { connected, lastError: error };
        },
        onOffset: (next) => {
          offset = next;
        },
        logger: log(),
        backoff: options.backoff ?? {},
        timers,
        random: options.random ?? Math.random,
        signal: abort.signal,
      }).catch((error: unknown) => {
        health = { connected: false, lastError: describeError(error) };
        log().error({ err: describeError(error) }, 'telegram polling stopped unexpectedly');
      });
      log().info({ bot: bot.username }, 'telegram polling started');
    },

    async stop() {
      typing.stopAll();
      controller?.abort();
      await loop;
      controller = undefined;
      loop = undefined;
      health = { connected: false };
    },

    async send(message) {
      return sendOutbound(api, message, progress);
    },

    async setTyping(chatId, on) {
      if (on) await typing.start(chatId);
      else typing.stop(chatId);
    },

    isMention: (text) => textMentions(text, bot?.username),

    sendCard: (card) => sendCard(api, card),

    openDirectChat: (userId) => openDirectChat(api, userId),

    downloadAttachment: (ref, limits) =>
      downloadFile(api, `${apiRoot}/file/bot${options.token}`, ref, limits),
  };
}

/** The bytes of a file by its file_id: getFile for the path, then the download (the Bot API serves ≤ 20 MB). */
async function downloadFile(
  api: Api,
  fileRoot: string,
  ref: string,
  options: DownloadAttachmentOptions = {},
): Promise<Uint8Array> {
  let path: string | undefined;
  try {
    const file = await api.getFile(ref);
    if (options.maxBytes !== undefined && (file.file_size ?? 0) > options.maxBytes)
      throw new AttachmentTooLargeError(options.maxBytes, file.file_size);
    path = file.file_path;
  } catch (error) {
    if (AttachmentTooLargeError.isInstance(error)) throw error;
    throw toChannelError(error, 'getFile');
  }
  if (!path)
    throw new ChannelError(`telegram file ${ref} has no download path (over 20 MB?)`, { permanent: true });
  const response = await fetch(`${fileRoot}/${path}`, options.signal ? { signal: options.signal } : {});
  if (!response.ok) throw new ChannelError(`telegram file download failed: HTTP ${response.status}`);
  const bytes = await readCappedResponse(response, options);
  if (bytes.byteLength > TELEGRAM_MAX_DOWNLOAD_BYTES) {
    throw new ChannelError('telegram file is over 20 MB', { permanent: true });
  }
  return bytes;
}

/** getMe: who the bot is. A 401 is permanent (wrong or revoked token); anything else is worth retrying. */
async function identify(api: Api): Promise<TelegramBotIdentity> {
  try {
    const me = await api.getMe();
    return { id: me.id, username: me.username };
  } catch (error) {
    if (isUnauthorized(error)) {
      throw new ChannelError('telegram rejected the bot token (401 Unauthorized); check TELEGRAM_BOT_TOKEN', {
        permanent: true,
        cause: error,
      });
    }
    throw toChannelError(error, 'getMe');
  }
}
