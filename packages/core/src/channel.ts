import type { Logger } from './logger.js';
import type { InboundMessageInput, OutboundMessage } from './messages.js';

/** The version of the channel interfaces (`ChannelFactory`, `ChannelAdapter`) this copy of core describes. */
export const CHANNEL_ADAPTER_SPEC_VERSION = 'v1' as const;

/** What a channel adapter may ask of the host. */
export interface ChannelHost {
  /**
   * Resolves once the message is stored durably (or recognised as a duplicate). An adapter acknowledges the
   * platform (advances an offset, acks an envelope) only after this resolves.
   */
  receive(message: InboundMessageInput): Promise<{ duplicate: boolean }>;
  logger: Logger;
}

export interface ChannelLimits {
  /** Longest text one platform message may carry; the adapter splits longer text. */
  maxTextLength: number;
  attachments: boolean;
  typingIndicator: boolean;
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
  /** True when the text addresses the assistant by the platform's own mention form. */
  isMention?(text: string): boolean;
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
