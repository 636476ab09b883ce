import type { ApprovalRow } from '@nanoclaw/db';
import type { ChatRef, HostDb } from '../groups/index.js';

export type ApprovalKind = 'access-request' | 'question';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'answered' | 'expired' | 'cancelled';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'rejected',
  'answered',
  'expired',
  'cancelled',
];

/** Where a card went, and to whom (access requests go to one approver's direct chat). */
export interface CardDestination extends ChatRef {
  /** The approver the card was sent to (access requests); absent for questions (the run's chat). */
  userId?: string;
}

/** An access request or an agent's question, as stored. */
export interface Approval {
  id: string;
  kind: ApprovalKind;
  groupId: string | null;
  question: string;
  options: string[];
  /** Access requests: the user asking to talk. */
  subject: string | null;
  /** The user (access requests) or `agent:<folder>` (questions) that caused it. */
  requestedBy: string;
  /** Questions: the one user who may answer; null: anyone in the chat. */
  askedUser: string | null;
  payload: Record<string, unknown>;
  status: ApprovalStatus;
  deliveredTo: CardDestination | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  /** The chosen option's label. */
  decision: string | null;
}

export type NewApproval = Omit<Approval, 'status' | 'deliveredTo' | 'decidedAt' | 'decidedBy' | 'decision'>;

export interface Decision {
  status: Exclude<ApprovalStatus, 'pending'>;
  by: string;
  at: number;
  decision: string | null;
}

/** The `approvals` table. `settle` is the one way out of `pending`, and only one caller wins it. */
export class ApprovalStore {
  readonly #db: HostDb;

  constructor(db: HostDb) {
    this.#db = db;
  }

  async insert(approval: NewApproval): Promise<Approval> {
    await this.#db
      .insertInto('approvals')
      .values({
        id: approval.id,
        kind: approval.kind,
        group_id: approval.groupId,
        question: approval.question,
        options: JSON.stringify(approval.options),
        subject: approval.subject,
        requested_by: approval.requestedBy,
        asked_user: approval.askedUser,
        payload: JSON.stringify(approval.payload),
        status: 'pending',
        delivered_to: null,
        created_at: approval.createdAt,
        expires_at: approval.expiresAt,
        decided_at: null,
        decided_by: null,
        decision: null,
      })
      .execute();
    return {
      ...approval,
      status: 'pending',
      deliveredTo: null,
      decidedAt: null,
      decidedBy: null,
      decision: null,
    };
  }

  async get(id: string): Promise<Approval | undefined> {
    const row = await this.#db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toApproval(row) : undefined;
  }

  async list(
    filter: { status?: ApprovalStatus; groupId?: string; limit?: number } = {},
  ): Promise<Approval[]> {
    let select = this.#db.selectFrom('approvals').selectAll();
    if (filter.status !== undefined) select = select.where('status', '=', filter.status);
    if (filter.groupId !== undefined) select = select.where('group_id', '=', filter.groupId);
    const rows = await select
      .orderBy('created_at', 'desc')
      .limit(filter.limit ?? 500)
      .execute();
    return rows.map(toApproval);
  }

  /** The pending access request of this user for this group, if one is open. */
  async pendingAccess(groupId: string, subject: string): Promise<Approval | undefined> {
    const row = await this.#db
      .selectFrom('approvals')
      .selectAll()
      .where('kind', '=', 'access-request')
      .where('status', '=', 'pending')
      .where('group_id', '=', groupId)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row ? toApproval(row) : undefined;
  }

  /** Pending approvals whose card is in this chat, newest first (for numbered replies). */
  async pendingIn(chat: ChatRef): Promise<Approval[]> {
    const rows = await this.#db
      .selectFrom('approvals')
      .selectAll()
      .where('status', '=', 'pending')
      .where('delivered_to', 'is not', null)
      .orderBy('created_at', 'desc')
      .execute();
    return rows
      .map(toApproval)
      .filter(
        (a) =>
          a.deliveredTo?.channel === chat.channel &&
          a.deliveredTo.accountId === chat.accountId &&
          a.deliveredTo.chatId === chat.chatId,
      );
  }

  async setDelivered(id: string, to: CardDestination): Promise<void> {
    await this.#db
      .updateTable('approvals')
      .set({ delivered_to: JSON.stringify(to) })
      .where('id', '=', id)
      .execute();
  }

  /** pending → decided. Undefined when it was no longer pending (someone else decided, or it expired). */
  async settle(id: string, decision: Decision): Promise<Approval | undefined> {
    const result = await this.#db
      .updateTable('approvals')
      .set({
        status: decision.status,
        decided_at: decision.at,
        decided_by: decision.by,
        decision: decision.decision,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    return this.get(id);
  }

  /** Pending approvals past their expiry. */
  async due(now: number): Promise<Approval[]> {
    const rows = await this.#db
      .selectFrom('approvals')
      .selectAll()
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .execute();
    return rows.map(toApproval);
  }

  /** The soonest expiry of a pending approval. */
  async nextExpiry(): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('approvals')
      .select((eb) => eb.fn.min('expires_at').as('next'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return row?.next ?? undefined;
  }
}

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    kind: row.kind as ApprovalKind,
    groupId: row.group_id,
    question: row.question,
    options: JSON.parse(row.options) as string[],
    subject: row.subject,
    requestedBy: row.requested_by,
    askedUser: row.asked_user,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    status: row.status as ApprovalStatus,
    deliveredTo: row.delivered_to === null ? null : (JSON.parse(row.delivered_to) as CardDestination),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decision: row.decision,
  };
}
