import { z } from 'zod';

export const MESSAGES_SPEC_VERSION = 'v1' as const;

export const attachmentSchema = z.strictObject({
  /** File name as the user sees it. */
  name: z.string().min(1).max(255),
  mimeType: z.string().min(1).max(255),
  sizeBytes: z.number().int().nonnegative(),
  /**
   * Where the bytes are: a path relative to the group folder (outbound, written by the agent) or a
   * platform reference the adapter can download (inbound).
   */
  ref: z.string().min(1).max(4096),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const senderSchema = z.strictObject({
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  isBot: z.boolean().optional(),
});
export type Sender = z.infer<typeof senderSchema>;

/** The longest text one inbound message carries (what the HTTP API and `nanoclaw send` accept). */
export const INBOUND_MAX_TEXT_LENGTH = 100_000;

/** One message from a chat platform, as a channel adapter hands it to the host. */
export const inboundMessageSchema = z.strictObject({
  /** Channel type: `telegram`, `slack`, `local`, ... */
  channel: z.string().min(1).max(64),
  /** Which account of that channel received it (several bots of one type are allowed). */
  accountId: z.string().min(1).max(128).default('default'),
  chatId: z.string().min(1).max(256),
  /** The platform's own id; unique per channel + account + chat, so redelivery is a no-op. */
  platformMessageId: z.string().min(1).max(256),
  threadId: z.string().max(256).optional(),
  sender: senderSchema,
  text: z.string().max(INBOUND_MAX_TEXT_LENGTH),
  /** ISO 8601 with offset: when the platform says the message was sent. */
  sentAt: z.iso.datetime({ offset: true }),
  /** The adapter saw the assistant mentioned (platform mention entity), not a text match. */
  mentionsAssistant: z.boolean().optional(),
  replyTo: z
    .strictObject({
      platformMessageId: z.string().max(256),
      senderName: z.string().max(256).optional(),
      text: z.string().max(10_000).optional(),
    })
    .optional(),
  attachments: z.array(attachmentSchema).max(32).optional(),
  /**
   * For channels whose chat bindings are routing rules rather than chat ids (Gmail: `from:<address>`,
   * `label:<name>`): the rules this message matches, most specific first. When no binding names the chat itself,
   * the host serves the message in the group bound to the first of these; when none is bound, it drops the
   * message and audits it.
   */
  routeKeys: z.array(z.string().min(1).max(256)).max(32).optional(),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;
export type InboundMessageInput = z.input<typeof inboundMessageSchema>;

/** The longest `CardOption.data`: Telegram's `callback_data` limit (64 bytes), which every platform fits. */
export const CARD_DATA_MAX_BYTES = 64;

/** One button of a card: what it says, and what a tap on it carries back verbatim (printable ASCII). */
export const cardOptionSchema = z.strictObject({
  label: z.string().min(1).max(80),
  data: z
    .string()
    .min(1)
    .max(CARD_DATA_MAX_BYTES)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
});
export type CardOption = z.infer<typeof cardOptionSchema>;

/** The longest text one outbound message carries; the outbox splits a longer reply into several messages. */
export const OUTBOUND_MAX_TEXT_LENGTH = 100_000;

/** One reply from the host to a chat, as the outbox hands it to a channel adapter. */
export const outboundMessageSchema = z.strictObject({
  channel: z.string().min(1).max(64),
  accountId: z.string().min(1).max(128).default('default'),
  chatId: z.string().min(1).max(256),
  threadId: z.string().max(256).optional(),
  text: z.string().max(OUTBOUND_MAX_TEXT_LENGTH),
  replyToPlatformMessageId: z.string().max(256).optional(),
  attachments: z.array(attachmentSchema).max(32).optional(),
  /** Stable across retries: an adapter that can dedupe on the platform side uses it. */
  idempotencyKey: z.string().min(1).max(256),
  /**
   * A card: the outbox sends it with the adapter's `sendCard` (platform buttons) where it has one, else as a
   * numbered list the host reads the reply to. Never split: the text of a card stays under the channel's limit.
   */
  buttons: z.array(cardOptionSchema).min(1).max(10).optional(),
  /**
   * Set when the outbox split one long text into several messages at the channel's length limit: this is part
   * `index` (from 1) of `count`, and `of` is the idempotency key of the whole (part 1's own key). Only part 1
   * carries `replyToPlatformMessageId`, only the last one the attachments.
   */
  part: z
    .strictObject({
      index: z.number().int().min(1),
      count: z.number().int().min(2),
      of: z.string().min(1).max(256),
    })
    .optional(),
});
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

export type InboundStatus = 'received' | 'queued' | 'processing' | 'done' | 'failed' | 'context';
export type OutboundStatus = 'pending' | 'sending' | 'sent' | 'failed';
