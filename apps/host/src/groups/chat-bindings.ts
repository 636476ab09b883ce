import type { ChatBinding } from '@nanoclaw/core';
import type { ChatRef } from './chat-ref.js';
import type { HostDb } from './db-types.js';

interface BindingRow {
  channel: string;
  account_id: string;
  chat_id: string;
  group_id: string;
  name: string | null;
  sender_allowlist: string | null;
}

/** Row access for `chat_bindings`; the registry validates before calling these. */
export function createChatBindingStore(db: HostDb, now: () => number) {
  return {
    async find(ref: ChatRef): Promise<ChatBinding | undefined> {
      const row = await db
        .selectFrom('chat_bindings')
        .selectAll()
        .where('channel', '=', ref.channel)
        .where('account_id', '=', ref.accountId)
        .where('chat_id', '=', ref.chatId)
        .executeTakeFirst();
      return row ? rowToBinding(row) : undefined;
    },
    async list(filter: { groupId?: string } = {}): Promise<ChatBinding[]> {
      let query = db.selectFrom('chat_bindings').selectAll();
      if (filter.groupId !== undefined) query = query.where('group_id', '=', filter.groupId);
      const rows = await query.orderBy('channel').orderBy('account_id').orderBy('chat_id').execute();
      return rows.map(rowToBinding);
    },
    async upsert(binding: ChatBinding, trx: HostDb = db): Promise<void> {
      const allowlist = binding.senderAllowlist === null ? null : JSON.stringify(binding.senderAllowlist);
      await trx
        .insertInto('chat_bindings')
        .values({
          channel: binding.channel,
          account_id: binding.accountId,
          chat_id: binding.chatId,
          group_id: binding.groupId,
          name: binding.name,
          sender_allowlist: allowlist,
          created_at: now(),
        })
        .onConflict((oc) =>
          oc.columns(['channel', 'account_id', 'chat_id']).doUpdateSet({
            name: binding.name,
            sender_allowlist: allowlist,
          }),
        )
        .execute();
    },
    async remove(ref: ChatRef): Promise<boolean> {
      const result = await db
        .deleteFrom('chat_bindings')
        .where('channel', '=', ref.channel)
        .where('account_id', '=', ref.accountId)
        .where('chat_id', '=', ref.chatId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type ChatBindingStore = ReturnType<typeof createChatBindingStore>;

function rowToBinding(row: BindingRow): ChatBinding {
  return {
    channel: row.channel,
    accountId: row.account_id,
    chatId: row.chat_id,
    groupId: row.group_id,
    name: row.name,
    senderAllowlist: parseAllowlist(row.sender_allowlist),
  };
}

/** A malformed stored allowlist lets nobody trigger: failing closed. */
function parseAllowlist(value: string | null): string[] | null {
  if (value === null) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
