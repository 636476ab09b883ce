import { type OutboundMessage, type OutboundStatus, outboundMessageSchema } from '@nanoclaw/core';
import type { OutboundMessageRow } from '@nanoclaw/db';
import type { z } from 'zod';
import type { HostDb } from '../groups/index.js';

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
export class OutboundValidationError extends Error {
  override readonly name = 'OutboundValidationError';
}

export interface Outbox {
  /** Stores a message to send. The same idempotency key twice is a no-op returning the first row. */
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
      const parsed = outboundMessageSchema.safeParse(rest);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new OutboundValidationError(
          `invalid outbound message: ${issue?.path.join('.') || '(message)'}: ${issue?.message ?? 'is invalid'}`,
        );
      }
      const message = parsed.data;
      const at = now();
      const result = await db
        .insertInto('outbound_messages')
        .values({
          idempotency_key: message.idempotencyKey,
          channel: message.channel,
          account_id: message.accountId,
          chat_id: message.chatId,
          thread_id: message.threadId ?? null,
          group_id: groupId ?? null,
          text: message.text,
          payload: JSON.stringify(message),
          status: 'pending',
          next_attempt_at: notBefore ?? at,
          created_at: at,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .executeTakeFirst();
      const row = await byKey(message.idempotencyKey);
      if (!row) throw new Error(`outbound message ${message.idempotencyKey} was not stored`);
      const duplicate = (result.numInsertedOrUpdatedRows ?? 0n) === 0n;
      if (!duplicate) notify(listeners, row);
      return { row, duplicate };
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
