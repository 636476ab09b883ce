import type { InboundMessage, InboundStatus } from '@nanoclaw/core';
import type { InboundMessageRow } from '@nanoclaw/db';

/**
 * Beyond core's statuses, kept for the record and never shown to an agent: `ignored` (no group is bound to the
 * chat), `dropped` (the group's access gate refused the sender), `held` (waiting for an access approval; back to
 * `received` when approved), `rejected` (an access request for it was rejected or expired), `answer` (a numbered
 * reply that answered a card).
 */
export type StoredInboundStatus = InboundStatus | 'ignored' | 'dropped' | 'held' | 'rejected' | 'answer';

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
