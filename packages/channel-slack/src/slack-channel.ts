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
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelHost,
  type ChannelLimits,
  type DownloadAttachmentOptions,
  errorMessage,
  type Logger,
  type OutboundCard,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import { SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { toCardAction, toSlackCardMessage, truncate } from './slack-cards.js';
import { SlackChannelError, toSlackChannelError } from './slack-errors.js';
import { escapeSlack, markdownToSlack } from './slack-format.js';
import { mentionsUser, type SlackMessageEvent, toInboundMessage } from './slack-inbound.js';
import { toSlackLogger } from './slack-logger.js';

export const SLACK_CHANNEL = 'slack';
/**
 * The longest text one Slack message gets from this channel. chat.postMessage accepts 40,000 characters
 * but Slack recommends at most 4,000 for a readable message (and truncates past 40,000), so 4,000 it is.
 */
export const SLACK_MAX_TEXT_LENGTH = 4_000;
/** `files.uploadV2` (files.getUploadURLExternal) takes files up to 1 GB. */
export const SLACK_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export interface SlackChannelOptions {
  /** Bot token, `xoxb-…` (SLACK_BOT_TOKEN). */
  botToken: string;
  /** App-level token with `connections:write`, `xapp-…` (SLACK_APP_TOKEN). */
  appToken: string;
  /** Web API base (SLACK_API_URL), default `https://slack.com/api/`. Socket Mode's apps.connections.open uses it too. */
  apiUrl?: string;
  /** Default `default`. */
  accountId?: string;
  logger?: Logger;
  /** Deliver messages other bots post (never the bot's own). Default false. */
  allowBots?: boolean;
  /** Default 4,000 (see SLACK_MAX_TEXT_LENGTH). */
  maxTextLength?: number;
  /**
   * Reads an outbound attachment's bytes. Default: `ref` as a file path (absolute, or relative to
   * `attachmentRoot`).
   */
  readAttachment?: (attachment: Attachment, message: OutboundMessage) => Promise<Uint8Array>;
  /** Where relative outbound attachment refs resolve from (default: the process cwd). */
  attachmentRoot?: string;
  /**
   * Socket Mode client ping timeout; the SDK also waits this long times the attempt number before each
   * reconnect. Default 5,000 ms.
   */
  clientPingTimeoutMs?: number;
  /** How long without a server ping before the connection counts as dead. Default 30,000 ms. */
  serverPingTimeoutMs?: number;
  /** Per Web API request timeout. Default 30,000 ms. */
  requestTimeoutMs?: number;
}

/** The Slack channel adapter, plus what a host may want beyond the spec. */
export interface SlackChannel extends ChannelAdapter {
  /** Whether the Socket Mode link is up (the channel registry shows `retrying` while it is not). */
  health(): ChannelHealth;
  /** The bot's user id once started (`auth.test`), e.g. `U0123`. */
  readonly botUserId: string | undefined;
  /** Downloads an inbound attachment (`Attachment.ref`, a Slack private file URL) with the bot token. */
  downloadAttachment(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
}

interface SendProgress {
  ids: string[];
  chunks: number;
  files: number;
}

interface SocketModeEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id?: string;
  type?: string;
  body?: unknown;
  retry_num?: number;
}

/**
 * Slack over Socket Mode (no public URL): inbound messages arrive as Events API envelopes on a WebSocket,
 * replies go out through the Web API. Each envelope is acknowledged only after `host.receive` resolved.
 */
export function createSlackChannel(options: SlackChannelOptions): SlackChannel {
  return new SlackAdapter(options);
}

class SlackAdapter implements SlackChannel {
  readonly specificationVersion = CHANNEL_ADAPTER_SPEC_VERSION;
  readonly channel = SLACK_CHANNEL;
  readonly accountId: string;
  readonly limits: ChannelLimits;
  readonly #options: SlackChannelOptions;
  readonly #apiUrl: string;
  readonly #logger: Logger;
  readonly #slackLogger: ReturnType<typeof toSlackLogger>;
  readonly #readAttachment: (attachment: Attachment, message: OutboundMessage) => Promise<Uint8Array>;
  readonly #web: WebClient;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #progress = new Map<string, SendProgress>();
  readonly #names = new Map<string, string | undefined>();
  #host: ChannelHost | undefined;
  #receiver: SocketModeReceiver | undefined;
  #botUserId: string | undefined;
  #botId: string | undefined;
  #connected = false;
  #lastError: string | undefined;

  constructor(options: SlackChannelOptions) {
    this.#options = options;
    this.accountId = options.accountId ?? 'default';
    this.limits = {
      maxTextLength: options.maxTextLength ?? SLACK_MAX_TEXT_LENGTH,
      attachments: true,
      maxAttachmentBytes: SLACK_MAX_UPLOAD_BYTES,
      typingIndicator: false,
    };
    this.#apiUrl = normaliseApiUrl(options.apiUrl ?? DEFAULT_SLACK_API_URL);
    this.#logger = (options.logger ?? silentLogger()).child({
      channel: SLACK_CHANNEL,
      accountId: this.accountId,
    });
    this.#slackLogger = toSlackLogger(this.#logger);
    this.#readAttachment =
      options.readAttachment ?? ((attachment) => readAttachmentFile(attachment, options.attachmentRoot));
    this.#web = new WebClient(options.botToken, {
      slackApiUrl: this.#apiUrl,
      logger: this.#slackLogger,
      // A 429 goes back to the outbox as retryAfterMs instead of blocking this client's queue.
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: options.requestTimeoutMs ?? 30_000,
    });
  }

  get botUserId(): string | undefined {
    return this.#botUserId;
  }

  async start(channelHost: ChannelHost): Promise<void> {
    if (this.#receiver) throw new Error('slack channel already started');
    const auth = await call('auth.test', () => this.#web.auth.test());
    if (!auth.user_id)
      throw new SlackChannelError('slack: auth.test returned no user_id', { permanent: true });
    this.#botUserId = auth.user_id;
    this.#botId = auth.bot_id;
    this.#host = channelHost;
    const next = this.#createReceiver();
    this.#receiver = next;
    try {
      await next.client.start();
    } catch (error) {
      this.#receiver = undefined;
      this.#host = undefined;
      await next.client
        .disconnect()
        .catch((disconnectError: unknown) =>
          this.#logger.debug(
            { err: errorMessage(disconnectError) },
            'slack: disconnecting a failed client failed',
          ),
        );
      throw toSlackChannelError(error, 'apps.connections.open');
    }
    this.#logger.info({ botUserId: this.#botUserId }, 'slack: connected over Socket Mode');
  }

  health(): ChannelHealth {
    return {
      connected: this.#receiver !== undefined && this.#connected,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  async stop(): Promise<void> {
    this.#connected = false;
    const current = this.#receiver;
    this.#receiver = undefined;
    this.#host = undefined;
    if (!current) return;
    await Promise.race([
      current.client.disconnect(),
      new Promise<void>((resolve) => setTimeout(resolve, 3_000).unref()),
    ]);
    current.client.removeAllListeners('slack_event');
  }

  /** Posts the text pieces, then uploads the files, not yet sent for this idempotency key. */
  async send(message: OutboundMessage): Promise<SendResult> {
    const state = this.#progress.get(message.idempotencyKey) ?? { ids: [], chunks: 0, files: 0 };
    this.#progress.set(message.idempotencyKey, state);
    const chunks = message.text.trim() === '' ? [] : toSlackPieces(message.text, this.limits.maxTextLength);
    const attachments = message.attachments ?? [];
    for (let i = state.chunks; i < chunks.length; i++) {
      const text = chunks[i] ?? '';
      const result = await call('chat.postMessage', () =>
        this.#web.chat.postMessage({
          channel: message.chatId,
          text,
          ...(message.threadId ? { thread_ts: message.threadId } : {}),
        }),
      );
      if (result.ts) state.ids.push(result.ts);
      state.chunks = i + 1;
    }
    for (let i = state.files; i < attachments.length; i++) {
      const attachment = attachments[i];
      if (attachment) state.ids.push(await this.#upload(message, attachment));
      state.files = i + 1;
    }
    this.#progress.delete(message.idempotencyKey);
    trimProgress(this.#progress);
    return { platformMessageIds: state.ids };
  }

  /** Posts the card as Block Kit (a section, then one button per option); a tap comes back as an `interactive` envelope. */
  async sendCard(card: OutboundCard): Promise<SendResult> {
    const { text, blocks } = toSlackCardMessage(card);
    const result = await call('chat.postMessage', () =>
      this.#web.chat.postMessage({
        channel: card.chatId,
        text,
        blocks,
        ...(card.threadId ? { thread_ts: card.threadId } : {}),
      }),
    );
    if (!result.ts) throw new SlackChannelError('slack: chat.postMessage returned no ts for a card');
    return { platformMessageIds: [result.ts] };
  }

  /** The bot's DM channel (`D…`) with this user: conversations.open, which Slack answers with the same id each time. */
  async openDirectChat(userId: string): Promise<string> {
    const result = await call('conversations.open', () => this.#web.conversations.open({ users: userId }));
    const chatId = result.channel?.id;
    if (!chatId) throw new SlackChannelError(`slack: conversations.open returned no channel for ${userId}`);
    return chatId;
  }

  isMention(text: string): boolean {
    return mentionsUser(text, this.#botUserId);
  }

  async downloadAttachment(ref: string, options: DownloadAttachmentOptions = {}): Promise<Uint8Array> {
    const url = new URL(ref);
    const trusted =
      url.hostname === 'slack.com' ||
      url.hostname.endsWith('.slack.com') ||
      url.origin === new URL(this.#apiUrl).origin;
    if (!trusted) throw new SlackChannelError(`slack: refusing to send the bot token to ${url.origin}`);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.#options.botToken}` },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) throw new SlackChannelError(`slack: downloading ${ref}: HTTP ${response.status}`);
    return readCappedResponse(response, options);
  }

  /**
   * Bolt's SocketModeReceiver builds the SocketModeClient (reconnects, pings) with our Web API URL. The App on top
   * is not used: it acknowledges events before any listener runs, and this channel must acknowledge only after
   * host.receive resolved. Nothing calls receiver.init(), so its own handler is a no-op and the listener below
   * owns every envelope.
   */
  #createReceiver(): SocketModeReceiver {
    const next = new SocketModeReceiver({
      appToken: this.#options.appToken,
      logger: this.#slackLogger,
      clientPingTimeout: this.#options.clientPingTimeoutMs ?? 5_000,
      serverPingTimeout: this.#options.serverPingTimeoutMs ?? 30_000,
      autoReconnectEnabled: true,
      installerOptions: { clientOptions: { slackApiUrl: this.#apiUrl } },
    });
    next.client.on('slack_event', (envelope: SocketModeEnvelope) => {
      // Not acknowledged when it fails: Slack redelivers the event, and the host's dedupe keeps that safe.
      this.#onEnvelope(envelope).catch((error: unknown) =>
        this.#logger.error(
          { err: errorMessage(error) },
          'slack: handling an envelope failed; Slack will redeliver it',
        ),
      );
    });
    next.client.on('connected', () => {
      this.#connected = true;
      this.#lastError = undefined;
    });
    next.client.on('reconnecting', () => {
      this.#connected = false;
      this.#logger.info('slack: Socket Mode reconnecting');
    });
    next.client.on('disconnected', () => {
      this.#connected = false;
    });
    next.client.on('error', (error: unknown) => {
      this.#lastError = errorMessage(error);
    });
    return next;
  }

  async #senderName(userId: string | undefined): Promise<string | undefined> {
    if (!userId) return undefined;
    if (this.#names.has(userId)) return this.#names.get(userId);
    try {
      const result = await this.#web.users.info({ user: userId });
      const user = result.user;
      const name = user?.profile?.display_name || user?.real_name || user?.name || undefined;
      if (this.#names.size >= 5_000) this.#names.clear();
      this.#names.set(userId, name);
      return name;
    } catch (error) {
      // users:read missing or Slack hiccup: the message still goes through, without a name.
      this.#logger.debug({ err: errorMessage(error), userId }, 'slack: users.info failed');
      return undefined;
    }
  }

  async #deliver(event: SlackMessageEvent): Promise<void> {
    const current = this.#host;
    const botUserId = this.#botUserId;
    if (!current || !botUserId) throw new Error('slack channel is not started');
    const verdict = toInboundMessage(event, {
      botUserId,
      ...(this.#botId ? { botId: this.#botId } : {}),
      channel: SLACK_CHANNEL,
      accountId: this.accountId,
      ...(this.#options.allowBots ? { allowBots: true } : {}),
    });
    if (verdict.kind === 'ignore') {
      this.#logger.trace({ reason: verdict.reason }, 'slack: event ignored');
      return;
    }
    const name = await this.#senderName(event.user);
    const message = verdict.message;
    if (name) message.sender = { ...message.sender, name: name.slice(0, 256) };
    await current.receive(message);
  }

  async #ack(envelope: SocketModeEnvelope): Promise<void> {
    try {
      await envelope.ack();
    } catch (error) {
      // The socket went away: Slack redelivers the event and the dedupe acknowledges it then.
      this.#logger.debug({ err: errorMessage(error) }, 'slack: ack failed');
    }
  }

  /**
   * A tap on a card's button goes to host.receiveAction; the envelope is acknowledged once that resolved, then the
   * host's answer is shown to the tapper alone. Payloads that are no tap on a button are logged and acknowledged.
   */
  async #onInteractive(envelope: SocketModeEnvelope): Promise<void> {
    const current = this.#host;
    const botUserId = this.#botUserId;
    if (!current || !botUserId) throw new Error('slack channel is not started');
    const verdict = toCardAction(envelope.body, {
      channel: SLACK_CHANNEL,
      accountId: this.accountId,
      botUserId,
    });
    if (verdict.kind === 'ignore') {
      this.#logger.warn({ reason: verdict.reason }, 'slack: interactive payload ignored');
      await this.#ack(envelope);
      return;
    }
    let answer: { text: string };
    try {
      answer = await current.receiveAction(verdict.action);
    } catch (error) {
      // Not acknowledged: Slack shows the tapper that the app did not respond, and they can tap again.
      this.#logger.error(
        { err: errorMessage(error), platformActionId: verdict.action.platformActionId },
        'slack: host.receiveAction failed; the tap is not acknowledged',
      );
      return;
    }
    await this.#ack(envelope);
    await this.#answerTapper(verdict.action, verdict.threadTs, answer.text);
  }

  /** chat.postEphemeral: only the tapper sees it, in the card's channel (and thread). */
  async #answerTapper(tap: CardAction, threadTs: string | undefined, text: string): Promise<void> {
    if (text.trim() === '') return;
    try {
      await call('chat.postEphemeral', () =>
        this.#web.chat.postEphemeral({
          channel: tap.chatId,
          user: tap.user.id,
          text: escapeSlack(truncate(text, this.limits.maxTextLength)),
          ...(threadTs ? { thread_ts: threadTs } : {}),
        }),
      );
    } catch (error) {
      // The tap itself is handled; only the answer is lost (user_not_in_channel, a rate limit): logged.
      this.#logger.warn(
        { err: errorMessage(error), platformActionId: tap.platformActionId },
        'slack: showing the tapper the answer failed',
      );
    }
  }

  async #onEnvelope(envelope: SocketModeEnvelope): Promise<void> {
    if (envelope.type === 'interactive') return this.#onInteractive(envelope);
    const ack = () => this.#ack(envelope);
    const body = (envelope.body ?? {}) as { event_id?: string; event?: SlackMessageEvent };
    const event = body.event;
    if (envelope.type !== 'events_api' || !event) {
      // Slash commands, ...: not used by this channel; ack so Slack stops retrying.
      await ack();
      return;
    }
    const keys = [
      body.event_id ? `event:${body.event_id}` : undefined,
      event.channel && event.ts ? `message:${event.channel}:${event.ts}` : undefined,
    ].filter((k): k is string => k !== undefined);
    const running = keys.map((k) => this.#inFlight.get(k)).find((p) => p !== undefined);
    if (running) {
      // A retry of an event still being stored (or the app_mention twin of a message event): acknowledge
      // once the first delivery is done.
      try {
        await running;
        await ack();
      } catch {
        // The first delivery failed and was not acknowledged; Slack retries again.
      }
      return;
    }
    const work = this.#deliver(event);
    for (const k of keys) this.#inFlight.set(k, work);
    try {
      // A redelivery (same event_id, after Slack saw no ack in time) goes to host.receive again: the host's
      // inbox answers duplicate, durably, and then the envelope is acknowledged.
      await work;
      await ack();
    } catch (error) {
      // Not acknowledged: Slack retries the event (up to 3 times), and host dedupe keeps that safe.
      this.#logger.warn(
        { err: errorMessage(error), eventId: body.event_id },
        'slack: delivering an event failed',
      );
    } finally {
      for (const k of keys) if (this.#inFlight.get(k) === work) this.#inFlight.delete(k);
    }
  }

  async #upload(message: OutboundMessage, attachment: Attachment): Promise<string> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#readAttachment(attachment, message);
    } catch (error) {
      throw new SlackChannelError(`slack: cannot read attachment ${attachment.ref}: ${errorMessage(error)}`, {
        permanent: true,
        cause: error,
      });
    }
    const target = await call('files.getUploadURLExternal', () =>
      this.#web.files.getUploadURLExternal({ filename: attachment.name, length: bytes.byteLength }),
    );
    if (!target.upload_url || !target.file_id) {
      throw new SlackChannelError('slack: files.getUploadURLExternal returned no upload URL');
    }
    let response: Response;
    try {
      response = await fetch(target.upload_url, {
        method: 'POST',
        headers: { 'content-type': attachment.mimeType || 'application/octet-stream' },
        body: bytes,
      });
      await response.arrayBuffer();
    } catch (error) {
      throw new SlackChannelError(`slack: uploading ${attachment.name} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new SlackChannelError(`slack: upload rate limited`, {
        retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000,
      });
    }
    if (!response.ok)
      throw new SlackChannelError(`slack: uploading ${attachment.name}: HTTP ${response.status}`);
    const fileId = target.file_id;
    await call('files.completeUploadExternal', () =>
      this.#web.files.completeUploadExternal({
        files: [{ id: fileId, title: attachment.name }],
        channel_id: message.chatId,
        ...(message.threadId ? { thread_ts: message.threadId } : {}),
      }),
    );
    return fileId;
  }
}

/** A Web API call whose failure becomes a `SlackChannelError` (retryAfterMs, permanent) naming the method. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toSlackChannelError(error, what);
  }
}

/**
 * Splits Markdown at the limit (words, links and code fences kept whole: the registry's splitMessage), then
 * converts each piece to mrkdwn; a piece that escaping made too long is split again, tighter.
 */
export function toSlackPieces(markdown: string, limit: number): string[] {
  const out: string[] = [];
  const place = (piece: string, depth: number) => {
    const converted = markdownToSlack(piece);
    if (converted.length <= limit) {
      out.push(converted);
      return;
    }
    if (depth >= 4) {
      // Escaping grows a character to at most 5 (`<` → `&lt;` is 4): raw slices of limit/5 always fit.
      const size = Math.max(1, Math.floor(limit / 5));
      for (let i = 0; i < piece.length; i += size) out.push(markdownToSlack(piece.slice(i, i + size)));
      return;
    }
    const tighter = Math.max(32, Math.floor((limit * piece.length) / converted.length) - 8);
    for (const part of splitMessage(piece, tighter)) place(part, depth + 1);
  };
  for (const piece of splitMessage(markdown, limit)) place(piece, 0);
  return out;
}

/** `http://host/api` → `http://host/api/` (the Web API client appends method names). */
function normaliseApiUrl(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Keeps partially sent messages' progress bounded; the outbox retries soon or never. */
function trimProgress(progress: Map<string, SendProgress>) {
  while (progress.size > 1_000) {
    const oldest = progress.keys().next().value;
    if (oldest === undefined) return;
    progress.delete(oldest);
  }
}
