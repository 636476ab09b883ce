import type { AuditLogRow } from '@nanoclaw/db';
import type { HostDb } from '../groups/index.js';

/** What the audit log records: gate decisions, approvals, questions, role and access changes. */
export type AuditKind = 'gate' | 'approval' | 'question' | 'role' | 'access';

export interface AuditInput {
  kind: AuditKind;
  /** What happened, e.g. `dropped`, `held`, `approved`, `rejected`, `answered`, `expired`, `granted`. */
  action: string;
  groupId?: string | null;
  /** Who did it: a user id, `cli`, `api`, `host` (expiry), or `agent:<folder>`. */
  actor?: string | null;
  /** Whom or what it was about: a user id, an approval id. */
  subject?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: number;
  kind: AuditKind;
  action: string;
  groupId: string | null;
  actor: string | null;
  subject: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  groupId?: string;
  /** Epoch ms: entries at or after. */
  since?: number;
  /** Newest first; default 200, at most 5,000. */
  limit?: number;
}

export interface AuditLog {
  record(entry: AuditInput): Promise<void>;
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** The `audit_log` table: one row per decision, never updated. */
export function createAuditLog(db: HostDb, now: () => number = Date.now): AuditLog {
  return {
    async record(entry) {
      await db
        .insertInto('audit_log')
        .values({
          at: now(),
          kind: entry.kind,
          action: entry.action,
          group_id: entry.groupId ?? null,
          actor: entry.actor ?? null,
          subject: entry.subject ?? null,
          detail: JSON.stringify(entry.detail ?? {}),
        })
        .execute();
    },
    async list(query = {}) {
      let select = db.selectFrom('audit_log').selectAll();
      if (query.groupId !== undefined) select = select.where('group_id', '=', query.groupId);
      if (query.since !== undefined) select = select.where('at', '>=', query.since);
      const limit = Math.min(Math.max(query.limit ?? 200, 1), 5_000);
      const rows = await select.orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toEntry);
    },
  };
}

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind as AuditKind,
    action: row.action,
    groupId: row.group_id,
    actor: row.actor,
    subject: row.subject,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}
