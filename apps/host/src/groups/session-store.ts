import { randomUUID } from 'node:crypto';
import type { Session } from '@nanoclaw/core';
import type { ChatRef } from './chat-ref.js';
import type { HostDb } from './db-types.js';

/** The group's own conversation. */
export const MAIN_SESSION_KEY = 'main';

/** A thread's own conversation: `thread:<channel>:<account>:<chat>:<thread>`. */
export function threadSessionKey(ref: ChatRef & { threadId: string }): string {
  return `thread:${ref.channel}:${ref.accountId}:${ref.chatId}:${ref.threadId}`;
}

/**
 * The session of an `isolated` task: `task:<taskId>`. One row per task, not per run: call `startFresh` before
 * each run so every run starts without a continuation.
 */
export function taskSessionKey(taskId: string): string {
  return `task:${taskId}`;
}

export interface SessionStore {
  getOrCreate(groupId: string, key: string): Promise<Session>;
  get(id: string): Promise<Session | undefined>;
  list(groupId: string): Promise<Session[]>;
  /** Pins this session to a provider (null = follow the group). */
  setProvider(sessionId: string, provider: string | null): Promise<void>;
  /** Records activity (`last_active_at`). */
  touch(sessionId: string): Promise<void>;
  getContinuation(sessionId: string, provider: string): Promise<string | undefined>;
  /** Stores the provider's resume token for this session; other providers' tokens are kept. */
  saveContinuation(sessionId: string, provider: string, continuation: string): Promise<void>;
  /** Forgets one provider's token (it was invalid) or, without a provider, all of them. */
  clearContinuation(sessionId: string, provider?: string): Promise<void>;
  /** Forgets every continuation so the next run starts a fresh conversation (isolated task runs). */
  startFresh(sessionId: string): Promise<void>;
}

export interface SessionStoreOptions {
  now?: () => number;
  generateId?: () => string;
}

/** Sessions per (group, key), with one continuation per session and provider. */
export function createSessionStore(db: HostDb, options: SessionStoreOptions = {}): SessionStore {
  const now = options.now ?? Date.now;
  const generateId = options.generateId ?? randomUUID;

  async function load(
    where: { id: string } | { groupId: string; key: string },
  ): Promise<Session | undefined> {
    let query = db.selectFrom('sessions').selectAll();
    query =
      'id' in where
        ? query.where('id', '=', where.id)
        : query.where('group_id', '=', where.groupId).where('key', '=', where.key);
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    const tokens = await db
      .selectFrom('session_continuations')
      .select(['provider', 'continuation'])
      .where('session_id', '=', row.id)
      .orderBy('provider')
      .execute();
    return {
      id: row.id,
      groupId: row.group_id,
      key: row.key,
      agentProvider: row.agent_provider,
      continuations: Object.fromEntries(tokens.map((t) => [t.provider, t.continuation])),
      createdAt: row.created_at,
      lastActiveAt: row.last_active_at,
    };
  }

  const clear = async (sessionId: string, provider?: string) => {
    let query = db.deleteFrom('session_continuations').where('session_id', '=', sessionId);
    if (provider !== undefined) query = query.where('provider', '=', provider);
    await query.execute();
  };

  return {
    async getOrCreate(groupId, key) {
      const at = now();
      await db
        .insertInto('sessions')
        .values({
          id: generateId(),
          group_id: groupId,
          key,
          agent_provider: null,
          created_at: at,
          last_active_at: at,
        })
        .onConflict((oc) => oc.columns(['group_id', 'key']).doNothing())
        .execute();
      const session = await load({ groupId, key });
      if (!session) throw new Error(`session ${key} of group ${groupId} was not stored`);
      return session;
    },
    get: (id) => load({ id }),
    async list(groupId) {
      const rows = await db
        .selectFrom('sessions')
        .select('id')
        .where('group_id', '=', groupId)
        .orderBy('created_at')
        .execute();
      const sessions: Session[] = [];
      for (const row of rows) {
        const session = await load({ id: row.id });
        if (session) sessions.push(session);
      }
      return sessions;
    },
    async setProvider(sessionId, provider) {
      await db
        .updateTable('sessions')
        .set({ agent_provider: provider })
        .where('id', '=', sessionId)
        .execute();
    },
    async touch(sessionId) {
      await db.updateTable('sessions').set({ last_active_at: now() }).where('id', '=', sessionId).execute();
    },
    async getContinuation(sessionId, provider) {
      const row = await db
        .selectFrom('session_continuations')
        .select('continuation')
        .where('session_id', '=', sessionId)
        .where('provider', '=', provider)
        .executeTakeFirst();
      return row?.continuation;
    },
    async saveContinuation(sessionId, provider, continuation) {
      const at = now();
      await db
        .insertInto('session_continuations')
        .values({ session_id: sessionId, provider, continuation, updated_at: at })
        .onConflict((oc) =>
          oc.columns(['session_id', 'provider']).doUpdateSet({ continuation, updated_at: at }),
        )
        .execute();
    },
    clearContinuation: clear,
    startFresh: (sessionId) => clear(sessionId),
  };
}
