import type { Logger } from './logger.js';
import type { CardOption, InboundMessageInput, OutboundMessage, Sender } from './messages.js';

/** The version of the channel interfaces (`ChannelFactory`, `ChannelAdapter`) this copy of core describes. */
export const CHANNEL_ADAPTER_SPEC_VERSION = 'v1' as const;

/** What a channel adapter may ask of the host. */
export interface ChannelHost {
  /**
   * Resolves once the message is stored durably (or recognised as a duplicate). An adapter acknowledges the
   * platform (advances an offset, acks an envelope) only after this resolves.
   * `ignored`: no group serves it (its chat is not bound, or no bound routing rule matches it): the adapter may
   * leave it on the platform as it found it (Gmail: unread, unlabelled).
   */
  receive(message: InboundMessageInput): Promise<{ duplicate: boolean; ignored?: boolean }>;
  /**
   * A person tapped a button of a card the adapter sent with `sendCard`. The host checks everything (the data may be
   * forged, the tap replayed, the person not the one asked) and answers what to show the tapper; the adapter shows
   * `text` to that person only where the platform can (Telegram callback answer, Slack ephemeral message, Discord
   * ephemeral response). Never rejects for a bad tap: a refusal is `accepted: false`.
   */
  receiveAction(action: CardAction): Promise<CardActionResult>;
  logger: Logger;
}

/** A message with buttons (an approval, a question), sent where the platform has interactive messages. */
export interface OutboundCard {
  channel: string;
  accountId: string;
  chatId: string;
  threadId?: string;
  /** The message above the buttons (plain text, at most the channel's `maxTextLength`). */
  text: string;
  /** 1 to 10 buttons, shown in this order. */
  options: readonly CardOption[];
}

/** A tap on a card's button, as the adapter hands it to the host. */
export interface CardAction {
  channel: string;
  accountId: string;
  /** The chat the card is in. */
  chatId: string;
  /** The platform's id of this tap or of the card message: a replayed tap carries the same one. */
  platformActionId: string;
  /** The card message's platform id. */
  platformMessageId?: string;
  /** Who tapped (the platform's user id, not prefixed). */
  user: Sender;
  /** The tapped button's `data`, verbatim (untrusted). */
  data: string;
}

export interface CardActionResult {
  accepted: boolean;
  /** Shown to the tapper: what happened, or why nothing did. */
  text: string;
}

export interface ChannelLimits {
  /** Longest text one platform message may carry; the adapter splits longer text. */
  maxTextLength: number;
  attachments: boolean;
  /**
   * The largest file one outbound attachment may be (the platform's limit for a bot), in bytes. The host refuses a
   * bigger file when the agent asks to send it, with a message that names both sizes. Absent: no stated limit.
   */
  maxAttachmentBytes?: number;
  typingIndicator: boolean;
}

/** How the host fetches an inbound attachment's bytes. */
export interface DownloadAttachmentOptions {
  /** Stop and reject (permanent) once the file is known to be larger than this, before reading more of it. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface SendResult {
  /** One id per platform message (long text may become several). */
  platformMessageIds: string[];
}

/**
 * Errors an adapter throws from `send` may carry these, so the outbox can decide: wait and retry, or give up.
 */
export interface ChannelErrorInfo {
  /** The platform asked to wait (HTTP 429 retry_after). */
  retryAfterMs?: number;
  /** Retrying cannot help (chat gone, bot removed, message invalid). */
  permanent?: boolean;
}

/** A chat platform account: Telegram bot, Slack app, local channel, ... */
export interface ChannelAdapter {
  readonly specificationVersion: typeof CHANNEL_ADAPTER_SPEC_VERSION;
  /** Channel type, e.g. `telegram`. */
  readonly channel: string;
  /** Distinguishes several accounts of one channel type. */
  readonly accountId: string;
  readonly limits: ChannelLimits;
  /** Connects and starts delivering inbound messages to `host.receive`. */
  start(host: ChannelHost): Promise<void>;
  stop(): Promise<void>;
  send(message: OutboundMessage): Promise<SendResult>;
  setTyping?(chatId: string, typing: boolean): Promise<void>;
  /**
   * The bytes of an inbound attachment, by its `Attachment.ref` (a Telegram file_id, a Slack private URL, ...),
   * fetched with the adapter's own credentials. Absent where the platform's files cannot be fetched.
   */
  downloadAttachment?(ref: string, options?: DownloadAttachmentOptions): Promise<Uint8Array>;
  /** True when the text addresses the assistant by the platform's own mention form. */
  isMention?(text: string): boolean;
  /**
   * Sends a message with buttons; a tap comes back through `ChannelHost.receiveAction`. Absent where the platform
   * has no interactive messages (the host then sends a numbered list and reads a numbered reply).
   */
  sendCard?(card: OutboundCard): Promise<SendResult>;
  /**
   * The id of a direct (one-to-one) chat between the bot and this platform user, opened if the platform needs
   * that. Rejects when the bot cannot reach the user there. Absent where the platform has no such chat.
   */
  openDirectChat?(userId: string): Promise<string>;
}

/** Creates an adapter from env; returns null (with a reason) when its credentials are absent. */
export interface ChannelFactory {
  /** The registry refuses a factory written against another version of these interfaces. */
  readonly specificationVersion: typeof CHANNEL_ADAPTER_SPEC_VERSION;
  readonly channel: string;
  readonly requiredEnv: readonly string[];
  create(options: {
    accountId: string;
    env: Readonly<Record<string, string | undefined>>;
    logger: Logger;
  }): ChannelAdapter | { skipped: string };
}
