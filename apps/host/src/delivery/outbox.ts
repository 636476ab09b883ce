import { splitMessage } from '@nanoclaw/channel-registry';
import {
  type ChannelAdapter,
  NanoclawError,
  OUTBOUND_MAX_TEXT_LENGTH,
  type OutboundMessage,
  type OutboundStatus,
  outboundMessageSchema,
} from '@nanoclaw/core';
import type { OutboundMessageRow } from '@nanoclaw/db';
import type { z } from 'zod';
import { adapterKey, type HostDb } from '../groups/index.js';

export type OutboundMessageInput = z.input<typeof outboundMessageSchema>;

export interface OutboxInput extends OutboundMessageInput {
  /** The group on whose behalf it is sent (for the record). */
  groupId?: string | null;
  /** Not before this time (epoch ms). Default now. */
  notBefore?: number;
}

/** One outbound message and its delivery state. */
export interface OutboxRow {
  id: number;
  idempotencyKey: string;
  message: OutboundMessage;
  groupId: string | null;
  status: OutboundStatus;
  /** Sends tried so far. */
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  platformMessageIds: string[] | null;
  createdAt: number;
  sentAt: number | null;
}

export interface EnqueueResult {
  row: OutboxRow;
  /** The key was enqueued before: nothing changed, `row` is the existing one. */
  duplicate: boolean;
}

/** The input was not a valid outbound message; nothing was stored. */
export class OutboundValidationError extends NanoclawError<'invalid-outbound'> {
  constructor(message: string) {
    super('invalid-outbound', message);
    this.name = 'OutboundValidationError';
  }
}

export interface Outbox {
  /**
   * Stores a message to send. The same idempotency key twice is a no-op returning the first row. A text longer
   * than the channel's limit is stored as several rows, one per part (see `OutboxOptions.maxTextLength`);
   * `row` is the first.
   */
  enqueue(input: OutboxInput): Promise<EnqueueResult>;
  get(idempotencyKey: string): Promise<OutboxRow | undefined>;
  /** Oldest first. */
  list(filter?: {
    status?: OutboundStatus;
    chat?: { channel: string; accountId: string; chatId: string };
  }): Promise<OutboxRow[]>;
  /** Called after every new row is stored (the worker wakes on it). Returns an unsubscribe function. */
  subscribe(listener: (row: OutboxRow) => void): () => void;
}

export interface OutboxOptions {
  now?: () => number;
  /**
   * The longest text one message to this chat's channel may carry (its adapter's `limits.maxTextLength`); a
   * longer text is split into parts at sensible boundaries (`splitMessage`). Unknown (say the adapter has not
   * started yet): 100,000, and the adapter splits further when it sends.
   */
  maxTextLength?: (chat: { channel: string; accountId: string }) => number | undefined;
}

/** `OutboxOptions.maxTextLength` from the channel adapters: the chat's adapter's `limits.maxTextLength`. */
export function adapterTextLimit(
  adapters: Pick<ReadonlyMap<string, ChannelAdapter>, 'get'>,
): NonNullable<OutboxOptions['maxTextLength']> {
  return (chat) => adapters.get(adapterKey(chat))?.limits.maxTextLength;
}

/** The durable outbox on `outbound_messages`, unique on the idempotency key. */
export function createOutbox(db: HostDb, options: OutboxOptions = {}): Outbox {
  const now = options.now ?? Date.now;
  const listeners = new Set<(row: OutboxRow) => void>();
  const byKey = async (key: string) => {
    const row = await db
      .selectFrom('outbound_messages')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row ? rowToOutbox(row) : undefined;
  };

  return {
    async enqueue(input) {
      const { groupId, notBefore, ...rest } = input;
      const whole = validated(rest);
      const limit = Math.min(OUTBOUND_MAX_TEXT_LENGTH, options.maxTextLength?.(whole) ?? Infinity);
      const parts = splitOutbound(whole, limit);
      const at = now();
      const inserted = await db.transaction().execute(async (trx) => {
        let count = 0;
        for (const message of parts) {
          const result = await trx
            .insertInto('outbound_messages')
            .values(
              toRow(message, { groupId: groupId ?? null, nextAttemptAt: notBefore ?? at, createdAt: at }),
            )
            .onConflict((oc) => oc.column('idempotency_key').doNothing())
            .executeTakeFirst();
          // The same key again: the whole message (every part) is already stored.
          if ((result.numInsertedOrUpdatedRows ?? 0n) === 0n) break;
          count += 1;
        }
        return count;
      });
      const row = await byKey(whole.idempotencyKey);
      if (!row) throw new Error(`outbound message ${whole.idempotencyKey} was not stored`);
      if (inserted > 0) notify(listeners, row);
      return { row, duplicate: inserted === 0 };
    },
    get: byKey,
    async list(filter = {}) {
      let query = db.selectFrom('outbound_messages').selectAll();
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.chat) {
        query = query
          .where('channel', '=', filter.chat.channel)
          .where('account_id', '=', filter.chat.accountId)
          .where('chat_id', '=', filter.chat.chatId);
      }
      return (await query.orderBy('id').execute()).map(rowToOutbox);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function validated(input: OutboundMessageInput): OutboundMessage {
  // The text's length is not checked here: a longer one is split, and each part is checked.
  const parsed = outboundMessageSchema.safeParse({ ...input, text: '' });
  if (!parsed.success) throw invalidMessage(parsed.error.issues[0]);
  if (typeof input.text !== 'string') throw invalidMessage({ path: ['text'], message: 'must be a string' });
  return { ...parsed.data, text: input.text };
}

function invalidMessage(
  issue: { path: readonly PropertyKey[]; message: string } | undefined,
  what = 'invalid outbound message',
): OutboundValidationError {
  return new OutboundValidationError(
    `${what}: ${issue?.path.map(String).join('.') || '(message)'}: ${issue?.message ?? 'is invalid'}`,
  );
}

/**
 * The message as the rows to store: itself when its text fits `limit`, else one message per part, with keys
 * `<key>`, `<key>#2`, `<key>#3`, … (part 1 keeps the key, so the same message enqueued again is still a no-op).
 */
export function splitOutbound(message: OutboundMessage, limit: number): OutboundMessage[] {
  if (message.buttons) {
    // A card is one message: its text is cut (the numbered list the fallback adds is short) rather than split.
    const room = Math.max(1, limit - 600);
    return [
      message.text.length <= room ? message : { ...message, text: `${message.text.slice(0, room - 1)}…` },
    ];
  }
  if (message.text.length <= limit) return [message];
  const texts = splitMessage(message.text, limit);
  if (texts.length < 2) return [{ ...message, text: texts[0] ?? '' }];
  const { replyToPlatformMessageId, attachments, ...common } = message;
  return texts.map((text, index) => {
    const last = index === texts.length - 1;
    const part: OutboundMessage = {
      ...common,
      text,
      idempotencyKey: index === 0 ? message.idempotencyKey : `${message.idempotencyKey}#${index + 1}`,
      part: { index: index + 1, count: texts.length, of: message.idempotencyKey },
      ...(index === 0 && replyToPlatformMessageId !== undefined ? { replyToPlatformMessageId } : {}),
      ...(last && attachments !== undefined ? { attachments } : {}),
    };
    const parsed = outboundMessageSchema.safeParse(part);
    if (!parsed.success)
      throw invalidMessage(parsed.error.issues[0], `invalid outbound message part ${index + 1}`);
    return parsed.data;
  });
}

function toRow(
  message: OutboundMessage,
  at: { groupId: string | null; nextAttemptAt: number; createdAt: number },
) {
  return {
    idempotency_key: message.idempotencyKey,
    channel: message.channel,
    account_id: message.accountId,
    chat_id: message.chatId,
    thread_id: message.threadId ?? null,
    group_id: at.groupId,
    text: message.text,
    payload: JSON.stringify(message),
    status: 'pending',
    next_attempt_at: at.nextAttemptAt,
    created_at: at.createdAt,
  };
}

function notify(listeners: Iterable<(row: OutboxRow) => void>, row: OutboxRow): void {
  for (const listener of listeners) {
    try {
      listener(row);
    } catch {
      // A listener's failure must not undo or fail a committed enqueue; the worker re-reads the table anyway.
    }
  }
}

export function rowToOutbox(row: OutboundMessageRow): OutboxRow {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    message: JSON.parse(row.payload) as OutboundMessage,
    groupId: row.group_id,
    status: row.status as OutboundStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    platformMessageIds:
      row.platform_message_ids === null ? null : (JSON.parse(row.platform_message_ids) as string[]),
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}
