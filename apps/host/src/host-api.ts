import {
  type ContextMode,
  NanoclawError,
  type NanoclawErrorOptions,
  type Schedule,
  type TaskRunLog,
  type TaskStatus,
} from '@nanoclaw/core';
import type { SandboxState, SandboxSummary } from './agent-pool/index.js';
import type { ApprovalKind, ApprovalStatus } from './approvals/index.js';
import type { GroupAccess } from './groups/index.js';
import type { ResolvedProvider } from './groups/provider-resolution.js';
import type { AddUserInput, AuditEntry, RemoveUserInput, UserView } from './people/index.js';

/**
 * What the host offers its surfaces (HTTP API, CLI through HTTP, the local channel). The HTTP layer is written
 * against this interface only; the composed host implements it.
 */
export interface HostApi {
  status(): Promise<HostStatus>;
  listGroups(): Promise<GroupView[]>;
  addGroup(input: AddGroupInput): Promise<AddedGroup>;
  /** Binds one more chat to an existing group (a chat bound to another group is refused). */
  bindChat(folder: string, chat: GroupChatInput): Promise<AddedGroup>;
  /** Unregisters the group and cancels its tasks; its folder stays on disk. */
  removeGroup(folder: string): Promise<RemovedGroup>;
  listTasks(filter?: { folder?: string; status?: TaskStatus }): Promise<TaskView[]>;
  addTask(input: AddTaskInput): Promise<TaskView>;
  pauseTask(id: string): Promise<TaskView>;
  resumeTask(id: string): Promise<TaskView>;
  cancelTask(id: string): Promise<TaskView>;
  listRuns(filter?: { taskId?: string; limit?: number }): Promise<TaskRunLog[]>;
  /** A message from the local channel (HTTP / CLI) to a group. Stored durably before this resolves. */
  postMessage(folder: string, input: { text: string; sender?: string }): Promise<PostedMessage>;
  /** Live events of one group (`*` for all): replies, deltas, errors. Returns an unsubscribe function. */
  subscribe(folder: string, listener: (event: HostEvent) => void): () => void;
  /** Readiness of the parts the host depends on. */
  readiness(): Promise<Readiness>;
  listUsers(): Promise<UserView[]>;
  /** Grants a role, adding the user if new. `actor` (`cli`, `api`) is what the audit log records. */
  addUser(input: AddUserRequest, actor: string): Promise<UserView>;
  /** Without `role`: the user and all their roles go. */
  removeUser(input: RemoveUserRequest, actor: string): Promise<{ removed: number }>;
  /** Makes two user ids one person (a role of either applies to both). */
  linkUsers(a: string, b: string, actor: string): Promise<UserView[]>;
  /** Sets who may talk to the group's agent; `request` is refused while no owner is set (nobody could approve). */
  setGroupAccess(folder: string, access: GroupAccess, actor: string): Promise<GroupView>;
  /** Newest first; without a status, every status. */
  listApprovals(filter?: { status?: ApprovalStatus; folder?: string }): Promise<ApprovalView[]>;
  getApproval(id: string): Promise<ApprovalView>;
  /** Approves or rejects an access request, or answers a question with an option (from 1). */
  decideApproval(id: string, choice: ApprovalChoice, actor: string): Promise<ApprovalView>;
  /** The audit log, newest first. */
  listAudit(query?: AuditQueryInput): Promise<AuditView[]>;
  /** What `addTask` would add (validated, with its next runs), stored nowhere; its `id` is ''. */
  previewTask(input: AddTaskInput): Promise<TaskView>;
  /** Token usage per UTC day, group and provider, oldest day first. */
  listUsage(query?: UsageQuery): Promise<UsageView[]>;
  /** The group's settings file (`groups/<folder>.container.json`) as it is, `{}` when there is none. */
  getGroupConfig(folder: string): Promise<GroupConfigView>;
  /** Validates the whole new settings object with the settings file's schema and writes it (atomically). */
  setGroupConfig(folder: string, config: unknown): Promise<GroupConfigView>;
  /** The live sandboxes (and those starting). */
  listSandboxes(): Promise<SandboxView[]>;
  /** Stops a sandbox now; its group's next message starts a new one. */
  killSandbox(id: string): Promise<{ id: string; killed: true }>;
  /** The group's stored messages, oldest first (the last `limit`, default 50). */
  listMessages(folder: string, query?: { limit?: number }): Promise<MessageView[]>;
}

export interface UsageQuery {
  /** How many UTC days back, today included; default 30. */
  days?: number;
  folder?: string;
}

export interface UsageView {
  /** `2026-12-07` (UTC). */
  day: string;
  folder: string;
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface GroupConfigView {
  folder: string;
  /** The file's JSON as written (`{}` when there is no file; `null` when it is not JSON). */
  config: unknown;
  /** Why the file is invalid (the group is then not served), or null. */
  error: string | null;
}

export type { SandboxState };

/** One live sandbox (`GET /api/v1/sandboxes`): the agent pool's own summary. */
export type SandboxView = SandboxSummary;

export interface MessageView {
  id: string;
  /** `<channel>:<account>:<chat id>`. */
  chat: string;
  sender: string;
  senderName: string | null;
  text: string;
  at: number;
  fromAgent: boolean;
}

export type { GroupAccess, UserView };
export type AddUserRequest = Omit<AddUserInput, 'actor'>;
export type RemoveUserRequest = Omit<RemoveUserInput, 'actor'>;
export type ApprovalChoice = 'approve' | 'reject' | number;

/** An access request or an agent's question, as the surfaces show it (its group by folder). */
export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  /** The group's folder; null when it has none. */
  group: string | null;
  question: string;
  options: string[];
  /** Access requests: the user asking to talk. */
  subject: string | null;
  requestedBy: string;
  /** Questions: the one user who may answer; null: anyone in the chat. */
  askedUser: string | null;
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  /** The chosen option's label. */
  decision: string | null;
}

/** One audit log entry, its group by folder (or id, when the group is gone). */
export interface AuditView extends Omit<AuditEntry, 'groupId'> {
  group: string | null;
}

export interface AuditQueryInput {
  folder?: string;
  /** Epoch ms: entries at or after. */
  since?: number;
  /** Default 200, at most 5,000. */
  limit?: number;
}

export interface HostStatus {
  version: string;
  startedAt: number;
  runtime: { name: string; detail: string } | { name: null; error: string };
  groups: Array<GroupStatus>;
  channels: Array<{ channel: string; accountId: string; connected: boolean; detail?: string }>;
}

export interface GroupStatus extends GroupView {
  queued: number;
  running: number;
  /** The group's main sandbox, or the busiest of its sandboxes: `none` when it has none. */
  sandbox: SandboxState | 'none';
  /** The last error a run of the group reported since the host started. */
  lastError: { message: string; at: number } | null;
}

export interface GroupView {
  folder: string;
  name: string;
  isMain: boolean;
  trigger: string;
  /** Who may talk to its agent: `public`, `members` or `request`. */
  access: GroupAccess;
  /** The provider the host will use for the group's main session, and where that choice came from. */
  provider: ResolvedProvider;
  /** Present when the group's settings (`groups/<folder>.container.json`) are invalid: it is not served until fixed. */
  configError?: string;
  chats: Array<{ channel: string; accountId: string; chatId: string; name: string | null }>;
}

/** A group just added, with what will not work yet (a chat bound to a channel without credentials). */
export interface AddedGroup extends GroupView {
  warnings?: string[];
}

export interface RemovedGroup {
  folder: string;
  /** The group's folder (memory, files), kept on disk. */
  path: string;
}

export interface AddGroupInput {
  folder: string;
  name?: string;
  trigger?: string;
  provider?: string;
  /** Bind a chat at once: `channel` + `chatId` (+ `accountId`, default `default`). */
  chat?: GroupChatInput;
}

/** A chat to bind: `channel` + `chatId` (+ `accountId`, default `default`). */
export interface GroupChatInput {
  channel: string;
  chatId: string;
  accountId?: string;
  name?: string;
}

export interface TaskView {
  id: string;
  folder: string;
  prompt: string;
  schedule: Schedule;
  timezone: string;
  contextMode: ContextMode;
  status: TaskStatus;
  nextRun: number | null;
  /** The next three run times (ms); [] when paused or done. */
  nextRuns: number[];
  lastRun: number | null;
}

export interface AddTaskInput {
  folder: string;
  prompt: string;
  schedule: Schedule;
  timezone?: string;
  contextMode?: ContextMode;
}

export interface PostedMessage {
  /** The inbound message's id in the host's store; replies carry it as `inReplyTo`. */
  messageId: string;
  /** False when the message was stored as context only (no trigger) and no reply will come. */
  willReply: boolean;
  /** Why no reply will come when it is not the trigger: held for an access request, dropped, taken as an answer. */
  note?: string;
}

export type HostEvent =
  /** A run of the agent starts: a chat turn (answering `inReplyTo`) or a scheduled task's run (`taskId`). */
  | { type: 'run-start'; folder: string; runId: string; inReplyTo: string[]; taskId?: string }
  | { type: 'text-delta'; folder: string; runId: string; delta: string }
  | {
      type: 'reply';
      folder: string;
      text: string;
      inReplyTo: string[];
      chat: string;
      /** A long reply comes in parts (split at the channel's length limit): this is part `index` of `count`. */
      part?: { index: number; count: number };
    }
  | { type: 'error'; folder: string; message: string; inReplyTo: string[] }
  | { type: 'run-end'; folder: string; runId: string; status: 'succeeded' | 'failed'; taskId?: string }
  /**
   * A try of the run failed (the sandbox died, went silent or could not start) and the run starts again in
   * `retryInMs` with the same `runId`: what streamed so far is void. Once no try is left, an `error` follows.
   */
  | {
      type: 'run-retry';
      folder: string;
      runId: string;
      message: string;
      retryInMs: number;
      taskId?: string;
    }
  /** The agent called a tool: `summary` is at most 120 characters of its input. */
  | {
      type: 'tool-call';
      folder: string;
      runId: string;
      name: string;
      kind: 'command' | 'mcp' | 'builtin';
      summary: string;
    }
  | { type: 'sandbox'; folder: string; id: string; state: SandboxState | 'stopped' }
  | { type: 'queue'; folder: string; queued: number; running: number }
  | {
      type: 'task';
      folder: string;
      taskId: string;
      change: 'added' | 'paused' | 'resumed' | 'cancelled' | 'run';
    }
  /** An approval was opened or decided; `folder` is its group's (`*` when it has none). */
  | { type: 'approval'; folder: string; id: string; status: string };

export interface Readiness {
  ready: boolean;
  checks: Array<{ name: 'database' | 'runtime' | 'channels' | string; ok: boolean; detail: string }>;
}

export type HostApiErrorCode = 'not-found' | 'invalid' | 'forbidden' | 'conflict' | 'unavailable';

/** Errors the API maps to HTTP statuses: not found → 404, invalid → 400, forbidden → 403, conflict → 409. */

export class HostApiError extends NanoclawError<HostApiErrorCode> {
  override readonly name = 'HostApiError';
  /** The input field that was wrong (`invalid`), e.g. `schedule.expression` or `mcpServers.notes.command`. */
  readonly field: string | undefined;

  constructor(
    code: HostApiErrorCode,
    message: string,
    options: NanoclawErrorOptions & { field?: string } = {},
  ) {
    super(code, message, options);
    this.field = options.field;
  }
}
