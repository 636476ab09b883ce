import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Epoch milliseconds. Every time column is one. */
type Millis = number;
/** SQLite has no boolean: 0 or 1. */
type Flag = 0 | 1;
/** A JSON document stored as TEXT. */
type Json = string;

export interface AgentGroupsTable {
  id: string;
  folder: string;
  name: string;
  is_main: Flag;
  trigger: string | null;
  agent_provider: string | null;
  container_config: Json | null;
  /** The access gate: `public`, `members` or `request`. */
  access: ColumnType<string, string | undefined, string>;
  created_at: Millis;
  updated_at: Millis;
}

export interface ChatBindingsTable {
  channel: string;
  account_id: string;
  chat_id: string;
  group_id: string;
  name: string | null;
  /** JSON array of sender ids, or null for everyone. */
  sender_allowlist: Json | null;
  created_at: Millis;
}

export interface SessionsTable {
  id: string;
  group_id: string;
  key: string;
  agent_provider: string | null;
  created_at: Millis;
  last_active_at: Millis;
}

/** One resume token per session and provider: switching provider and back resumes the old thread. */
export interface SessionContinuationsTable {
  session_id: string;
  provider: string;
  continuation: string;
  updated_at: Millis;
}

export interface InboundMessagesTable {
  id: Generated<number>;
  channel: string;
  account_id: string;
  chat_id: string;
  platform_message_id: string;
  thread_id: string | null;
  group_id: string | null;
  sender_id: string;
  sender_name: string | null;
  text: string;
  /** The whole validated message as JSON (attachments, reply context). */
  payload: Json;
  status: string;
  tries: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  sent_at: Millis;
  received_at: Millis;
  updated_at: Millis;
}

export interface OutboundMessagesTable {
  id: Generated<number>;
  idempotency_key: string;
  channel: string;
  account_id: string;
  chat_id: string;
  thread_id: string | null;
  group_id: string | null;
  text: string;
  payload: Json;
  status: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Millis;
  last_error: string | null;
  /** JSON array of the platform ids once sent. */
  platform_message_ids: Json | null;
  created_at: Millis;
  sent_at: Millis | null;
}

export interface QueueItemsTable {
  /** Insertion order: FIFO within a group. */
  seq: Generated<number>;
  id: string;
  group_key: string;
  priority: string;
  payload: Json;
  status: string;
  tries: number;
  enqueued_at: Millis;
  available_at: Millis;
  last_error: string | null;
  updated_at: Millis;
}

export interface ScheduledTasksTable {
  id: string;
  group_id: string;
  prompt: string;
  /** JSON of the core `Schedule`. */
  schedule: Json;
  timezone: string;
  misfire_policy: string;
  context_mode: string;
  status: string;
  next_run: Millis | null;
  last_run: Millis | null;
  created_by_group_id: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface TaskRunLogsTable {
  id: string;
  task_id: string;
  scheduled_for: Millis;
  started_at: Millis;
  finished_at: Millis | null;
  status: string;
  late: Flag;
  duration_ms: number | null;
  result_summary: string | null;
  error: string | null;
}

export interface UsageTable {
  id: Generated<number>;
  group_id: string;
  session_id: string | null;
  provider: string;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  recorded_at: Millis;
}

/** A person on one platform: `id` is `<platform>:<platform user id>`, e.g. `telegram:12345`. */
export interface UsersTable {
  id: string;
  platform: string;
  platform_user_id: string;
  name: string | null;
  /** Linked users share one person id (the id of the first user of the person). */
  person_id: string;
  created_at: Millis;
}

export interface UserRolesTable {
  user_id: string;
  /** `owner` (global), `admin` (global when `group_id` is null, else of that group), `member` (of a group). */
  role: string;
  group_id: string | null;
  granted_by: string | null;
  created_at: Millis;
}

/** An access request or an agent's question: durable, answered once, expiring. */
export interface ApprovalsTable {
  id: string;
  kind: string;
  group_id: string | null;
  question: string;
  /** JSON array of option labels. */
  options: Json;
  /** The user the request is about (access requests). */
  subject: string | null;
  requested_by: string;
  /** The one user who may answer (questions); null: any approver of the group. */
  asked_user: string | null;
  payload: Json;
  status: string;
  /** JSON of where the card went. */
  delivered_to: Json | null;
  created_at: Millis;
  expires_at: Millis;
  decided_at: Millis | null;
  decided_by: string | null;
  decision: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Millis;
  kind: string;
  action: string;
  group_id: string | null;
  actor: string | null;
  subject: string | null;
  detail: Json;
}

/** The whole database as kysely sees it. */
export interface Database {
  agent_groups: AgentGroupsTable;
  chat_bindings: ChatBindingsTable;
  sessions: SessionsTable;
  session_continuations: SessionContinuationsTable;
  inbound_messages: InboundMessagesTable;
  outbound_messages: OutboundMessagesTable;
  queue_items: QueueItemsTable;
  scheduled_tasks: ScheduledTasksTable;
  task_run_logs: TaskRunLogsTable;
  usage: UsageTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  approvals: ApprovalsTable;
  audit_log: AuditLogTable;
}

export type AgentGroupRow = Selectable<AgentGroupsTable>;
export type NewAgentGroupRow = Insertable<AgentGroupsTable>;
export type AgentGroupUpdate = Updateable<AgentGroupsTable>;
export type InboundMessageRow = Selectable<InboundMessagesTable>;
export type OutboundMessageRow = Selectable<OutboundMessagesTable>;
export type QueueItemRow = Selectable<QueueItemsTable>;
export type ScheduledTaskRow = Selectable<ScheduledTasksTable>;
export type TaskRunLogRow = Selectable<TaskRunLogsTable>;
export type UserRow = Selectable<UsersTable>;
export type UserRoleRow = Selectable<UserRolesTable>;
export type ApprovalRow = Selectable<ApprovalsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
