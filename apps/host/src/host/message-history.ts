import type { HostDb } from '../groups/index.js';
import type { MessageView } from '../host-api.js';

/** The most messages one listing returns. */
export const MAX_MESSAGES = 500;

/**
 * A group's stored messages, both ways, oldest first: the last `limit` of what came in (every channel, the local
 * chat included) and what the agent sent out (its replies and messages, error replies included).
 */
export async function listGroupMessages(
  db: HostDb,
  groupId: string,
  options: { limit: number; assistantName: string },
): Promise<MessageView[]> {
  const limit = Math.min(Math.max(options.limit, 1), MAX_MESSAGES);
  const inbound = await db
    .selectFrom('inbound_messages')
    .select(['id', 'channel', 'account_id', 'chat_id', 'sender_id', 'sender_name', 'text', 'sent_at'])
    .where('group_id', '=', groupId)
    .orderBy('sent_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const outbound = await db
    .selectFrom('outbound_messages')
    .select(['id', 'channel', 'account_id', 'chat_id', 'text', 'created_at'])
    .where('group_id', '=', groupId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const messages: MessageView[] = [
    ...inbound.map((row) => ({
      id: `in-${row.id}`,
      chat: `${row.channel}:${row.account_id}:${row.chat_id}`,
      sender: row.sender_id,
      senderName: row.sender_name,
      text: row.text,
      at: row.sent_at,
      fromAgent: false,
    })),
    ...outbound.map((row) => ({
      id: `out-${row.id}`,
      chat: `${row.channel}:${row.account_id}:${row.chat_id}`,
      sender: 'agent',
      senderName: options.assistantName,
      text: row.text,
      at: row.created_at,
      fromAgent: true,
    })),
  ];
  return messages.sort((a, b) => a.at - b.at).slice(-limit);
}
