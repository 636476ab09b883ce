import type { InboundMessage, InboundStatus } from '@nanoclaw/core';
import type { InboundMessageRow } from '@nanoclaw/db';

/** `ignored`: no group is bound to the chat; kept for the record, never answered. */
export type StoredInboundStatus = InboundStatus | 'ignored';

/** An inbound message as stored, with its routing state. */
export interface StoredInbound {
  id: number;
  message: InboundMessage;
  groupId: string | null;
  status: StoredInboundStatus;
  tries: number;
  lastError: string | null;
  /** When the platform says it was sent (epoch ms). */
  sentAt: number;
  receivedAt: number;
}

export function rowToStoredInbound(row: InboundMessageRow): StoredInbound {
  return {
    id: row.id,
    message: JSON.parse(row.payload) as InboundMessage,
    groupId: row.group_id,
    status: row.status as StoredInboundStatus,
    tries: row.tries,
    lastError: row.last_error,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
  };
}
