/**
 * The shapes the host's HTTP API returns, as the dashboard reads them. They mirror apps/host/src/host-api.ts
 * (HostStatus, GroupView, TaskView, ApprovalView, AuditView, UserView), packages/core (Schedule, TaskRunLog)
 * and the issue-18 additions. The dashboard cannot import the host's types (the host depends on this package for
 * its assets), so they are restated here; fields added by issue 18 are optional where an older host may not send
 * them. The event stream's types are checked against the host's by apps/host/src/host-api.test.ts (exported to it
 * as `@nanoclaw/dashboard/types`): a type the host sends and `HOST_EVENT_TYPES` lacks fails there.
 */

export interface ProviderChoice {
  id: string;
  source: string;
}

export type SandboxState = 'none' | 'starting' | 'busy' | 'idle';

export interface GroupView {
  folder: string;
  name: string;
  isMain: boolean;
  trigger: string;
  access: string;
  provider: ProviderChoice;
  configError?: string;
  chats: Array<{ channel: string; accountId: string; chatId: string; name: string | null }>;
}

export interface GroupStatus extends GroupView {
  queued: number;
  running: number;
  sandbox?: SandboxState;
  lastError?: { message: string; at: number } | null;
}

export interface HostStatus {
  version: string;
  startedAt: number;
  runtime: { name: string; detail: string } | { name: null; error: string };
  groups: GroupStatus[];
  channels: Array<{ channel: string; accountId: string; connected: boolean; detail?: string }>;
}

export interface StoredMessage {
  id: string;
  chat: string;
  sender: string;
  senderName: string;
  text: string;
  at: number;
  fromAgent: boolean;
}

export interface PostedMessage {
  messageId: string;
  willReply: boolean;
  note?: string;
}

export interface GroupConfig {
  folder: string;
  config: Record<string, unknown>;
  error: string | null;
}

export type Schedule =
  | { kind: 'cron'; expression: string }
  | { kind: 'interval'; everyMs: number }
  | { kind: 'once'; at: string };

export type TaskStatus = 'active' | 'paused' | 'completed' | 'cancelled';

export interface TaskView {
  id: string;
  folder: string;
  prompt: string;
  schedule: Schedule;
  timezone: string;
  contextMode: 'group' | 'isolated';
  status: TaskStatus;
  nextRun: number | null;
  lastRun: number | null;
  nextRuns?: number[];
}

export interface AddTaskInput {
  folder: string;
  prompt: string;
  schedule: Schedule;
  timezone?: string;
}

export interface TaskRun {
  id: string;
  taskId: string;
  scheduledFor: number;
  startedAt: number;
  finishedAt: number | null;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted' | 'skipped';
  late: boolean;
  durationMs: number | null;
  resultSummary: string | null;
  error: string | null;
}

export interface UsageRow {
  day: string;
  folder: string;
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface SandboxView {
  id: string;
  folder: string;
  session: string;
  provider: string;
  runtime: string;
  state: 'starting' | 'busy' | 'idle';
  startedAt: number;
  lastActiveAt: number;
}

export interface ApprovalView {
  id: string;
  kind: 'access-request' | 'question';
  group: string | null;
  question: string;
  options: string[];
  subject: string | null;
  requestedBy: string;
  askedUser: string | null;
  status: string;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  decision: string | null;
}

export interface UserView {
  id: string;
  platform: string;
  platformUserId: string;
  name: string | null;
  linked: string[];
  roles: Array<{ role: string; group: string | null }>;
}

export interface AuditView {
  id: number;
  at: number;
  kind: string;
  action: string;
  group: string | null;
  actor: string | null;
  subject: string | null;
  detail: Record<string, unknown>;
}

/** What the event streams (`/api/v1/events`, `/api/v1/groups/:folder/events`) send, one SSE event type each. */
export type HostEvent =
  | { type: 'run-start'; folder: string; runId: string; inReplyTo: string[]; taskId?: string }
  | { type: 'text-delta'; folder: string; runId: string; delta: string }
  | {
      type: 'reply';
      folder: string;
      text: string;
      inReplyTo: string[];
      chat: string;
      part?: { index: number; count: number };
    }
  | { type: 'error'; folder: string; message: string; inReplyTo: string[] }
  | { type: 'run-end'; folder: string; runId: string; status: 'succeeded' | 'failed'; taskId?: string }
  | {
      type: 'run-retry';
      folder: string;
      runId: string;
      message: string;
      retryInMs: number;
      taskId?: string;
    }
  | { type: 'tool-call'; folder: string; runId: string; name: string; kind: string; summary: string }
  | { type: 'sandbox'; folder: string; id: string; state: string }
  | { type: 'queue'; folder: string; queued: number; running: number }
  | { type: 'task'; folder: string; taskId: string; change: string }
  | { type: 'approval'; id: string; status: string };

export type HostEventType = HostEvent['type'];

export const HOST_EVENT_TYPES: readonly HostEventType[] = [
  'run-start',
  'text-delta',
  'reply',
  'error',
  'run-end',
  'run-retry',
  'tool-call',
  'sandbox',
  'queue',
  'task',
  'approval',
];
