import {
  AttachmentTooLargeError,
  type BackoffOptions,
  ChannelError,
  type ChannelHealth,
  type ReportsChannelHealth,
  realTimers,
  type Timers,
} from '@nanoclaw/channel-registry';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type ChannelLimits,
  type DownloadAttachmentOptions,
  type Logger,
} from '@nanoclaw/core';
import { type ChannelState, readState, readToken, writeState } from './account-store.js';
import { describeError, httpFailure, isUnauthorized, toChannelError } from './errors.js';
import { createGmailApi, type GmailApi } from './gmail-api.js';
import { GMAIL_CHANNEL, handleAddedMessage, type InboundContext } from './inbound.js';
import { changesSince, loadLabels, profile } from './mailbox.js';
import { attachmentBytes } from './parse-mail.js';
import { runPollLoop } from './poll-loop.js';
import { sendReply } from './send.js';

/** One mail carries the whole reply: the host never needs to split it. */
export const GMAIL_MAX_TEXT_LENGTH = 100_000;
export const GMAIL_DEFAULT_MAX_ATTACHMENT_MB = 4;

export const GMAIL_LIMITS: ChannelLimits = {
  maxTextLength: GMAIL_MAX_TEXT_LENGTH,
  attachments: true,
  typingIndicator: false,
};

export interface GmailChannelOptions {
  clientId: string;
  clientSecret: string;
  /** `<dataDir>/gmail/<accountId>`: the refresh token (from `nanoclaw channels login gmail`) and the read state. */
  accountDir: string;
  accountId?: string;
  /** Gmail REST root (a loopback fake in tests). */
  apiRoot?: string;
  /** OAuth token endpoint (a loopback fake in tests). */
  tokenUrl?: string;
  /** Attachments larger than this are neither read nor sent (default 4 MB). */
  maxAttachmentMb?: number;
  /** Pause between mailbox reads (default 30 s). */
  pollIntervalMs?: number;
  backoff?: BackoffOptions;
  logger?: Logger;
  timers?: Timers;
  random?: () => number;
}

export interface GmailChannel extends ChannelAdapter, ReportsChannelHealth {
  /** The account's address, known after `start`. */
  readonly email: string | undefined;
  /** An inbound attachment's bytes by its `ref` (`<messageId>:<index>`). */
  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
}

interface Running {
  abort: AbortController;
  loop: Promise<void>;
}

export function createGmailChannel(options: GmailChannelOptions): GmailChannel {
  const accountId = options.accountId ?? 'default';
  const maxAttachmentBytes = Math.round(
    (options.maxAttachmentMb ?? GMAIL_DEFAULT_MAX_ATTACHMENT_MB) * 1024 * 1024,
  );
  const account = createAccountState(options.accountDir);
  let running: Running | undefined;
  let api: GmailApi | undefined;
  let email: string | undefined;
  let health: ChannelHealth = { connected: false };
  const ready = () => {
    if (!api || !email) throw new ChannelError('gmail channel used before start');
    return { api, email };
  };

  const connect = async (host: ChannelHost) => {
    const token = await readToken(options.accountDir);
    if (!token) {
      throw new ChannelError(
        `gmail account "${accountId}" is not signed in: run \`nanoclaw channels login gmail\``,
        { permanent: true },
      );
    }
    api ??= createGmailApi({ ...options, refreshToken: token.refreshToken });
    const me = await identify(api);
    email = me.email;
    const historyId = await account.load(me.historyId);
    const logger = options.logger ?? host.logger;
    return { logger, labels: await loadLabels(api), historyId };
  };

  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: GMAIL_CHANNEL,
    accountId,
    limits: { ...GMAIL_LIMITS, maxAttachmentBytes },
    get email() {
      return email;
    },
    health: () => ({ ...health }),

    async start(host) {
      if (running) return;
      const { logger, labels, historyId } = await connect(host);
      const { api: client, email: address } = ready();
      const inbound: InboundContext = {
        api: client,
        host,
        accountId,
        email: address,
        labels,
        maxAttachmentBytes,
        logger,
        addNotice: account.addNotice,
      };
      running = startPolling(options, { inbound, historyId, account }, (next) => {
        health = next;
      });
      logger.info({ account: accountId }, 'gmail polling started');
    },

    async stop() {
      const current = running;
      running = undefined;
      if (!current) return;
      current.abort.abort();
      await current.loop;
      health = { connected: false };
    },

    send: (message) => {
      const { api: client, email: address } = ready();
      return sendReply({ api: client, email: address, maxAttachmentBytes, notice: account.notice }, message);
    },

    downloadAttachment: (ref, limits) => downloadAttachment(ready().api, ref, limits),
  };
}

/** The account's read state on disk: the history id, and the notices waiting for a thread's next reply. */
function createAccountState(dir: string) {
  let state: ChannelState = { notices: {} };
  const save = () => writeState(dir, state);
  return {
    /** Reads the state; a first start begins at `now` (mail from before is not answered). */
    async load(now: string): Promise<string> {
      state = await readState(dir);
      if (!state.historyId) {
        state.historyId = now;
        await save();
      }
      return state.historyId;
    },
    async setHistory(historyId: string) {
      state.historyId = historyId;
      await save();
    },
    async addNotice(threadId: string, notice: string) {
      state.notices[threadId] = notice;
      await save();
    },
    notice(threadId: string) {
      const text = state.notices[threadId];
      if (text === undefined) return undefined;
      return {
        text,
        clear: async () => {
          delete state.notices[threadId];
          await save();
        },
      };
    },
  };
}

type AccountState = ReturnType<typeof createAccountState>;

/** Starts the poll loop over the mailbox history; its failures end up in the health, never unhandled. */
function startPolling(
  options: GmailChannelOptions,
  { inbound, historyId, account }: { inbound: InboundContext; historyId: string; account: AccountState },
  setHealth: (health: ChannelHealth) => void,
): Running {
  const { api, logger } = inbound;
  const abort = new AbortController();
  setHealth({ connected: true });
  const loop = runPollLoop({
    historyId,
    changes: (from) => changesSince(api, from, logger),
    handle: async (id) => {
      await handleAddedMessage(inbound, id);
    },
    onHistory: account.setHistory,
    onHealth: (connected, error) =>
      setHealth(error === undefined ? { connected } : { connected, lastError: error }),
    intervalMs: options.pollIntervalMs ?? 30_000,
    backoff: options.backoff ?? {},
    timers: options.timers ?? realTimers,
    random: options.random ?? Math.random,
    logger,
    signal: abort.signal,
  }).catch((error: unknown) => {
    setHealth({ connected: false, lastError: describeError(error) });
    logger.error({ err: describeError(error) }, 'gmail polling stopped unexpectedly');
  });
  return { abort, loop };
}

/** An inbound attachment's bytes by its ref (`<messageId>:<index>`), from the raw mail. */
async function downloadAttachment(
  api: GmailApi,
  ref: string,
  options: DownloadAttachmentOptions = {},
): Promise<Uint8Array> {
  const [messageId = '', index = ''] = ref.split(':');
  let raw: string | null | undefined;
  try {
    const request = { userId: 'me', id: messageId, format: 'raw' };
    raw = (await api.users.messages.get(request, options.signal ? { signal: options.signal } : {})).data.raw;
  } catch (error) {
    throw toChannelError(error, 'messages.get');
  }
  const bytes = raw ? await attachmentBytes(Buffer.from(raw, 'base64url'), Number(index)) : undefined;
  if (!bytes) throw new ChannelError(`gmail attachment ${ref} not found`, { permanent: true });
  // The whole mail comes in one response (at most 25 MB): its part is held to the limit once decoded.
  if (options.maxBytes !== undefined && bytes.byteLength > options.maxBytes)
    throw new AttachmentTooLargeError(options.maxBytes, bytes.byteLength);
  return bytes;
}

/** The profile; a refused refresh token is permanent (sign in again), anything else is worth retrying. */
async function identify(api: GmailApi): Promise<{ email: string; historyId: string }> {
  try {
    return await profile(api);
  } catch (error) {
    if (isUnauthorized(error) || httpFailure(error)?.status === 400) {
      throw new ChannelError(
        'gmail refused the stored sign-in (revoked or expired); run `nanoclaw channels login gmail` again',
        { permanent: true, cause: error },
      );
    }
    throw toChannelError(error, 'getProfile');
  }
}
