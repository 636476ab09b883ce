import { type InboundMessage, inboundMessageSchema, NanoclawError } from '@nanoclaw/core';
import type { ChatRef, HostDb } from '../groups/index.js';
import { rowToStoredInbound, type StoredInbound, type StoredInboundStatus } from './stored-inbound.js';
import { chatOf, type Turn, turnOf } from './turn.js';

/** The input was not a valid inbound message; nothing was stored. */
export class InboundValidationError extends NanoclawError<'invalid-inbound'> {
  override readonly name = 'InboundValidationError';
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(
      'invalid-inbound',
      `invalid inbound message: ${issues.map((i) => `${i.path || '(message)'}: ${i.message}`).join('; ')}`,
    );
  }
}

export interface StoreResult {
  /** True when this platform message was stored before; nothing changed. */
  duplicate: boolean;
  message: StoredInbound;
}

/**
 * Where a message is routed: `context` (kept for the next turn), `queued` (a turn), `ignored` (no group),
 * `dropped` / `held` (the access gate), `answer` (a numbered reply to a card).
 */
export type RouteStatus = Extract<
  StoredInboundStatus,
  'context' | 'queued' | 'ignored' | 'dropped' | 'held' | 'answer'
>;

export interface InboundRecovery {
  /** Stored but never routed (a crash between storing and routing): route them again. */
  unrouted: StoredInbound[];
  /** Messages left `queued` or `processing`, now all `queued`, as one turn per group, chat and thread. */
  turns: Turn[];
}

export interface PendingContextQuery {
  groupId: string;
  chat: ChatRef;
  /** Only messages older than this id (the turn's last message). */
  beforeId: number;
  /** Newest first, at most this many. */
  limit: number;
}

export interface Inbox {
  /** Validates and stores durably (status `received`). Redelivery of the same platform id is a no-op. */
  store(input: unknown): Promise<StoreResult>;
  get(id: number): Promise<StoredInbound | undefined>;
  /** In id order; unknown ids are left out. */
  getMany(ids: readonly number[]): Promise<StoredInbound[]>;
  /** A message of this chat by its platform id (to quote the message a reply refers to). */
  findByPlatformId(chat: ChatRef, platformMessageId: string): Promise<StoredInbound | undefined>;
  /** received → a route status. False when the message was already routed. */
  assign(id: number, route: { groupId: string | null; status: RouteStatus }): Promise<boolean>;
  /** The messages of one sender (`channel` + platform sender id) held for a group's access approval, oldest first. */
  held(groupId: string, sender: { channel: string; senderId: string }): Promise<StoredInbound[]>;
  /** held → received (approved: route them again) or rejected. Returns the ids that moved. */
  settleHeld(ids: readonly number[], status: 'received' | 'rejected'): Promise<number[]>;
  /**
   * queued (or processing, on a retry) → processing, counting a try. Returns the messages now processing:
   * an empty list means the turn was already answered, so running it again is a no-op.
   */
  markProcessing(ids: readonly number[]): Promise<StoredInbound[]>;
  /** queued | processing → done. */
  markDone(ids: readonly number[]): Promise<void>;
  /** queued | processing → failed. */
  markFailed(ids: readonly number[], error: string): Promise<void>;
  /**
   * Unanswered messages of a chat (status `context` or `failed`) since its last answered (`done`) message, older
   * than `beforeId`, oldest first.
   */
  pendingContext(query: PendingContextQuery): Promise<StoredInbound[]>;
  /** Call once at start-up: processing → queued, then returns what needs routing or enqueueing again. */
  recover(): Promise<InboundRecovery>;
}

export interface InboxOptions {
  now?: () => number;
}

/** The durable inbound store on `inbound_messages`, unique on channel + account + chat + platform id. */
export function createInbox(db: HostDb, options: InboxOptions = {}): Inbox {
  return new SqliteInbox(db, options.now ?? Date.now);
}

class SqliteInbox implements Inbox {
  readonly #db: HostDb;
  readonly #now: () => number;

  constructor(db: HostDb, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async store(input: unknown): Promise<StoreResult> {
    const message = validate(input);
    const at = this.#now();
    const result = await this.#db
      .insertInto('inbound_messages')
      .values({
        channel: message.channel,
        account_id: message.accountId,
        chat_id: message.chatId,
        platform_message_id: message.platformMessageId,
        thread_id: message.threadId ?? null,
        group_id: null,
        sender_id: message.sender.id,
        sender_name: message.sender.name ?? null,
        text: message.text,
        payload: JSON.stringify(message),
        status: 'received',
        sent_at: Date.parse(message.sentAt),
        received_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.columns(['channel', 'account_id', 'chat_id', 'platform_message_id']).doNothing())
      .executeTakeFirst();
    const stored = await this.findByPlatformId(message, message.platformMessageId);
    if (!stored) throw new Error(`inbound message ${message.platformMessageId} was not stored`);
    return { duplicate: (result.numInsertedOrUpdatedRows ?? 0n) === 0n, message: stored };
  }

  async get(id: number): Promise<StoredInbound | undefined> {
    const row = await this.#selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToStoredInbound(row) : undefined;
  }

  async findByPlatformId(chat: ChatRef, platformMessageId: string): Promise<StoredInbound | undefined> {
    const row = await this.#selectAll()
      .where('channel', '=', chat.channel)
      .where('account_id', '=', chat.accountId)
      .where('chat_id', '=', chat.chatId)
      .where('platform_message_id', '=', platformMessageId)
      .executeTakeFirst();
    return row ? rowToStoredInbound(row) : undefined;
  }

  async getMany(ids: readonly number[]): Promise<StoredInbound[]> {
    if (ids.length === 0) return [];
    const rows = await this.#selectAll()
      .where('id', 'in', [...ids])
      .orderBy('id')
      .execute();
    return rows.map(rowToStoredInbound);
  }

  async assign(id: number, route: { groupId: string | null; status: RouteStatus }): Promise<boolean> {
    const result = await this.#db
      .updateTable('inbound_messages')
      .set({ group_id: route.groupId, status: route.status, updated_at: this.#now() })
      .where('id', '=', id)
      .where('status', '=', 'received')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async held(groupId: string, sender: { channel: string; senderId: string }): Promise<StoredInbound[]> {
    const rows = await this.#selectAll()
      .where('group_id', '=', groupId)
      .where('status', '=', 'held')
      .where('channel', '=', sender.channel)
      .where('sender_id', '=', sender.senderId)
      .orderBy('id')
      .execute();
    return rows.map(rowToStoredInbound);
  }

  async settleHeld(ids: readonly number[], status: 'received' | 'rejected'): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db
      .updateTable('inbound_messages')
      .set({ status, updated_at: this.#now() })
      .where('id', 'in', [...ids])
      .where('status', '=', 'held')
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  async markProcessing(ids: readonly number[]): Promise<StoredInbound[]> {
    if (ids.length === 0) return [];
    await this.#db
      .updateTable('inbound_messages')
      .set((eb) => ({ status: 'processing', tries: eb('tries', '+', 1), updated_at: this.#now() }))
      .where('id', 'in', [...ids])
      .where('status', 'in', ['queued', 'processing'])
      .execute();
    const rows = await this.#selectAll()
      .where('id', 'in', [...ids])
      .where('status', '=', 'processing')
      .orderBy('id')
      .execute();
    return rows.map(rowToStoredInbound);
  }

  markDone(ids: readonly number[]): Promise<void> {
    return this.#transition(ids, ['queued', 'processing'], { status: 'done', last_error: null });
  }

  markFailed(ids: readonly number[], error: string): Promise<void> {
    return this.#transition(ids, ['queued', 'processing'], {
      status: 'failed',
      last_error: error.slice(0, 4000),
    });
  }

  async pendingContext(query: PendingContextQuery): Promise<StoredInbound[]> {
    const answered = await this.#inChat(query)
      .where('status', '=', 'done')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const rows = await this.#inChat(query)
      .where('id', '>', answered?.id ?? 0)
      .where('status', 'in', ['context', 'failed'])
      .orderBy('id', 'desc')
      .limit(Math.max(0, query.limit))
      .execute();
    return rows.reverse().map(rowToStoredInbound);
  }

  async recover(): Promise<InboundRecovery> {
    const db = this.#db;
    await this.#transition(await idsWithStatus(db, 'processing'), ['processing'], { status: 'queued' });
    const orphaned = await this.#selectAll()
      .where('status', '=', 'queued')
      .where('group_id', 'is', null)
      .execute();
    await this.#transition(
      orphaned.map((row) => row.id),
      ['queued'],
      { status: 'failed', last_error: 'its group was removed' },
    );
    const unrouted = (await this.#selectAll().where('status', '=', 'received').orderBy('id').execute()).map(
      rowToStoredInbound,
    );
    const queued = (await this.#selectAll().where('status', '=', 'queued').orderBy('id').execute()).map(
      rowToStoredInbound,
    );
    return { unrouted, turns: groupIntoTurns(queued) };
  }

  #selectAll() {
    return this.#db.selectFrom('inbound_messages').selectAll();
  }

  /** The chat's (and thread's) messages of the group, older than `beforeId`. */
  #inChat(query: PendingContextQuery) {
    const { chat } = query;
    const q = this.#selectAll()
      .where('group_id', '=', query.groupId)
      .where('channel', '=', chat.channel)
      .where('account_id', '=', chat.accountId)
      .where('chat_id', '=', chat.chatId)
      .where('id', '<', query.beforeId);
    return chat.threadId === undefined
      ? q.where('thread_id', 'is', null)
      : q.where('thread_id', '=', chat.threadId);
  }

  async #transition(
    ids: readonly number[],
    from: readonly StoredInboundStatus[],
    set: { status: StoredInboundStatus; last_error?: string | null },
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('inbound_messages')
      .set({ ...set, updated_at: this.#now() })
      .where('id', 'in', [...ids])
      .where('status', 'in', [...from])
      .execute();
  }
}

async function idsWithStatus(db: HostDb, status: StoredInboundStatus): Promise<number[]> {
  const rows = await db.selectFrom('inbound_messages').select('id').where('status', '=', status).execute();
  return rows.map((row) => row.id);
}

function groupIntoTurns(messages: readonly StoredInbound[]): Turn[] {
  const byKey = new Map<string, { groupId: string; messages: StoredInbound[] }>();
  for (const message of messages) {
    if (message.groupId === null) continue;
    const chat = chatOf(message.message);
    const key = JSON.stringify([
      message.groupId,
      chat.channel,
      chat.accountId,
      chat.chatId,
      chat.threadId ?? null,
    ]);
    const entry = byKey.get(key) ?? { groupId: message.groupId, messages: [] };
    entry.messages.push(message);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map((entry) => turnOf(entry.groupId, entry.messages));
}

function validate(input: unknown): InboundMessage {
  const parsed = inboundMessageSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InboundValidationError(
    parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
