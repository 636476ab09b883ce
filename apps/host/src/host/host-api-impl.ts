import { randomUUID } from 'node:crypto';
import type { ChannelStatus } from '@nanoclaw/channel-registry';
import { errorMessage, type ScheduledTask, type TaskRunLog, type TaskStatus } from '@nanoclaw/core';
import type { NanoclawDatabase, UsageStore } from '@nanoclaw/db';
import type { GroupQueue } from '@nanoclaw/group-queue';
import {
  type Scheduler,
  ScheduleValidationError,
  TaskNotFoundError,
  upcomingRunTimes,
} from '@nanoclaw/scheduler';
import type { AgentPool } from '../agent-pool/types.js';
import type { ApprovalStatus } from '../approvals/index.js';
import { type ChannelCredentialCheck, missingCredentialsWarning } from '../channels/index.js';
import {
  formatConfigIssue,
  type GroupRegistry,
  isGroupError,
  type ProviderResolver,
  type RegisteredGroup,
  resolveGroupProvider,
} from '../groups/index.js';
import type {
  AddedGroup,
  AddGroupInput,
  AddTaskInput,
  AddUserRequest,
  ApprovalChoice,
  ApprovalView,
  AuditQueryInput,
  AuditView,
  GroupAccess,
  GroupChatInput,
  GroupConfigView,
  GroupView,
  HostApi,
  HostEvent,
  HostStatus,
  MessageView,
  PostedMessage,
  Readiness,
  RemovedGroup,
  RemoveUserRequest,
  SandboxView,
  TaskView,
  UsageQuery,
  UsageView,
  UserView,
} from '../host-api.js';
import { HostApiError } from '../host-api.js';
import type { HostEventBus } from '../local-channel/index.js';
import type { RouteOutcome, Turn } from '../routing/index.js';
import { type ChannelReceiver, describeTrigger, InboundValidationError } from '../routing/index.js';
import type { PeopleParts } from './compose-people.js';
import { DashboardApi } from './dashboard-api.js';
import type { LiveEvents } from './live-events.js';
import { createPeopleApi, type PeopleApi } from './people-api.js';
import type { WorkPayload } from './work.js';

export interface HostApiDeps {
  version: string;
  startedAt: number;
  database: NanoclawDatabase;
  registry: GroupRegistry;
  resolver: ProviderResolver;
  scheduler: Scheduler;
  queue: Pick<GroupQueue<WorkPayload, Turn>, 'depth'>;
  receiver: ChannelReceiver;
  bus: HostEventBus;
  assistantName: string;
  runtime: () => HostStatus['runtime'];
  /** Whether a chat platform account has its credentials here (`groups add --channel`); default: not checked. */
  channelCredentials?: ChannelCredentialCheck;
  /** The chat platform accounts besides the local channel (skipped ones included), as the supervisor sees them. */
  channels?: () => ChannelStatus[];
  /** Users and roles, approvals and the audit log. */
  people: Pick<PeopleParts, 'people' | 'audit' | 'approvals'>;
  groupsDir: string;
  usage: Pick<UsageStore, 'daily'>;
  /** The sandbox pool, once the host has one. */
  pool: () => Pick<AgentPool, 'list' | 'kill'> | undefined;
  live: Pick<LiveEvents, 'lastError'>;
}

/** The composed host as its surfaces see it (HTTP API, CLI, local chat). */
export function createHostApiImpl(deps: HostApiDeps): HostApi {
  return new HostApiImpl(deps);
}

class HostApiImpl implements HostApi {
  readonly #deps: HostApiDeps;
  readonly #people: PeopleApi;
  readonly #dashboard: DashboardApi;

  constructor(deps: HostApiDeps) {
    this.#deps = deps;
    this.#dashboard = new DashboardApi({
      db: deps.database.db,
      registry: deps.registry,
      groupsDir: deps.groupsDir,
      usage: deps.usage,
      pool: deps.pool,
      live: deps.live,
      assistantName: deps.assistantName,
    });
    this.#people = createPeopleApi({
      parts: deps.people,
      registry: deps.registry,
      groupView: (group) => this.#groupView(group),
    });
  }

  async status(): Promise<HostStatus> {
    const deps = this.#deps;
    const groups = await deps.registry.list();
    return {
      version: deps.version,
      startedAt: deps.startedAt,
      runtime: deps.runtime(),
      groups: await Promise.all(
        groups.map(async (group) => {
          const depth = deps.queue.depth(group.id);
          return {
            ...(await this.#groupView(group)),
            queued: depth.queued + depth.retrying,
            running: depth.running,
            ...this.#dashboard.groupState(group.folder),
          };
        }),
      ),
      channels: [
        { channel: 'local', accountId: 'default', connected: true },
        ...(deps.channels?.() ?? []).map(channelView),
      ],
    };
  }

  async listGroups(): Promise<GroupView[]> {
    return Promise.all((await this.#deps.registry.list()).map((group) => this.#groupView(group)));
  }

  async addGroup(input: AddGroupInput): Promise<AddedGroup> {
    const warnings = input.chat ? this.#chatWarnings(input.chat) : [];
    const group = await translate(() => this.#deps.registry.add(registryInput(input)));
    return { ...(await this.#groupView(group)), ...(warnings.length > 0 ? { warnings } : {}) };
  }

  async bindChat(folder: string, chat: GroupChatInput): Promise<AddedGroup> {
    const warnings = this.#chatWarnings(chat);
    const group = await this.#groupOf(folder);
    const ref = { channel: chat.channel, accountId: chat.accountId ?? 'default', chatId: chat.chatId };
    await translate(() =>
      this.#deps.registry.bindChat(ref, group.folder, chat.name === undefined ? {} : { name: chat.name }),
    );
    return { ...(await this.#groupView(group)), ...(warnings.length > 0 ? { warnings } : {}) };
  }

  /** Refuses a channel this host does not know; warns when its credential is not set yet. */
  #chatWarnings(chat: GroupChatInput): string[] {
    const accountId = chat.accountId ?? 'default';
    const credentials = this.#deps.channelCredentials?.({ channel: chat.channel, accountId });
    if (credentials?.kind === 'unknown') {
      throw new HostApiError(
        'invalid',
        `chat.channel: this host has no channel "${chat.channel}" (it knows ${credentials.known.join(', ')})`,
      );
    }
    return credentials?.kind === 'missing'
      ? [missingCredentialsWarning({ ...chat, accountId }, credentials.keys)]
      : [];
  }

  async removeGroup(folder: string): Promise<RemovedGroup> {
    const path = await translate(async () => this.#deps.registry.groupDir(folder));
    await translate(() => this.#deps.registry.remove(folder));
    return { folder, path };
  }

  async listTasks(filter?: { folder?: string; status?: TaskStatus }): Promise<TaskView[]> {
    const groupId = filter?.folder ? (await this.#groupOf(filter.folder)).id : undefined;
    const tasks = await this.#deps.scheduler.listTasks({
      ...(groupId ? { groupId } : {}),
      ...(filter?.status ? { status: filter.status } : {}),
    });
    return Promise.all(tasks.map((task) => this.#taskView(task)));
  }

  async addTask(input: AddTaskInput): Promise<TaskView> {
    const group = await this.#groupOf(input.folder);
    // A once-time already past is refused (with the time it is now), not run at once.
    const task = await translate(() =>
      this.#deps.scheduler.createTask(newTask(group, input), { strict: true }),
    );
    return this.#taskView(task);
  }

  async previewTask(input: AddTaskInput): Promise<TaskView> {
    const group = await this.#groupOf(input.folder);
    const task = await translate(async () =>
      this.#deps.scheduler.previewTask(newTask(group, input), { strict: true }),
    );
    return this.#taskView(task);
  }

  async listUsage(query: UsageQuery = {}): Promise<UsageView[]> {
    const groupId = query.folder ? (await this.#groupOf(query.folder)).id : undefined;
    return this.#dashboard.listUsage(query, groupId);
  }

  async getGroupConfig(folder: string): Promise<GroupConfigView> {
    return this.#dashboard.getGroupConfig(await this.#groupOf(folder));
  }

  async setGroupConfig(folder: string, config: unknown): Promise<GroupConfigView> {
    return this.#dashboard.setGroupConfig(await this.#groupOf(folder), config);
  }

  listSandboxes(): Promise<SandboxView[]> {
    return this.#dashboard.listSandboxes();
  }

  killSandbox(id: string): Promise<{ id: string; killed: true }> {
    return this.#dashboard.killSandbox(id);
  }

  async listMessages(folder: string, query: { limit?: number } = {}): Promise<MessageView[]> {
    return this.#dashboard.listMessages(await this.#groupOf(folder), query.limit ?? 50);
  }

  pauseTask(id: string): Promise<TaskView> {
    return this.#taskCommand(() => this.#deps.scheduler.pauseTask(id));
  }

  resumeTask(id: string): Promise<TaskView> {
    return this.#taskCommand(() => this.#deps.scheduler.resumeTask(id));
  }

  cancelTask(id: string): Promise<TaskView> {
    return this.#taskCommand(() => this.#deps.scheduler.cancelTask(id));
  }

  listRuns(filter?: { taskId?: string; limit?: number }): Promise<TaskRunLog[]> {
    return this.#deps.scheduler.listRuns({
      ...(filter?.taskId ? { taskId: filter.taskId } : {}),
      limit: Math.min(Math.max(filter?.limit ?? 50, 1), 1000),
    });
  }

  async postMessage(folder: string, input: { text: string; sender?: string }): Promise<PostedMessage> {
    const group = await this.#groupOf(folder);
    const platformMessageId = randomUUID();
    const result = await translate(() =>
      this.#deps.receiver.receiveDetailed({
        channel: 'local',
        accountId: 'default',
        chatId: group.folder,
        platformMessageId,
        sender: { id: input.sender ?? 'user', name: input.sender ?? 'local user' },
        text: input.text,
        sentAt: new Date().toISOString(),
      }),
    );
    const outcome = result.outcome;
    // A turn gets a reply; a group with a broken config gets an error event saying so.
    const willReply = outcome?.kind === 'turn' || (outcome?.kind === 'config-error' && outcome.addressed);
    const note = outcome ? gateNote(outcome, group.folder) : undefined;
    return { messageId: platformMessageId, willReply, ...(note ? { note } : {}) };
  }

  subscribe(folder: string, listener: (event: HostEvent) => void): () => void {
    return this.#deps.bus.subscribe(folder, listener);
  }

  async readiness(): Promise<Readiness> {
    const deps = this.#deps;
    const checks: Readiness['checks'] = [];
    try {
      deps.database.sqlite.prepare('select 1').get();
      checks.push({ name: 'database', ok: true, detail: deps.database.path });
    } catch (error) {
      checks.push({ name: 'database', ok: false, detail: errorMessage(error) });
    }
    const runtime = deps.runtime();
    checks.push(
      'error' in runtime
        ? { name: 'runtime', ok: false, detail: runtime.error }
        : { name: 'runtime', ok: true, detail: `${runtime.name}: ${runtime.detail}` },
    );
    checks.push(channelsCheck(deps.channels?.() ?? []));
    return { ready: checks.every((c) => c.ok), checks };
  }

  listUsers(): Promise<UserView[]> {
    return this.#people.listUsers();
  }

  addUser(input: AddUserRequest, actor: string): Promise<UserView> {
    return this.#people.addUser(input, actor);
  }

  removeUser(input: RemoveUserRequest, actor: string): Promise<{ removed: number }> {
    return this.#people.removeUser(input, actor);
  }

  linkUsers(a: string, b: string, actor: string): Promise<UserView[]> {
    return this.#people.linkUsers(a, b, actor);
  }

  setGroupAccess(folder: string, access: GroupAccess, actor: string): Promise<GroupView> {
    return translate(() => this.#people.setGroupAccess(folder, access, actor));
  }

  listApprovals(filter?: { status?: ApprovalStatus; folder?: string }): Promise<ApprovalView[]> {
    return this.#people.listApprovals(filter);
  }

  getApproval(id: string): Promise<ApprovalView> {
    return this.#people.getApproval(id);
  }

  decideApproval(id: string, choice: ApprovalChoice, actor: string): Promise<ApprovalView> {
    return this.#people.decideApproval(id, choice, actor);
  }

  listAudit(query?: AuditQueryInput): Promise<AuditView[]> {
    return this.#people.listAudit(query);
  }

  async #groupView(group: RegisteredGroup): Promise<GroupView> {
    const deps = this.#deps;
    const provider = await resolveGroupProvider(deps.database.db, group, deps.resolver);
    const bindings = await deps.registry.listBindings({ groupId: group.id });
    return {
      folder: group.folder,
      name: group.name,
      isMain: group.isMain,
      trigger: describeTrigger(group, deps.assistantName),
      access: group.access,
      provider,
      ...(group.configError ? { configError: formatConfigIssue(group.configError) } : {}),
      chats: [
        { channel: 'local', accountId: 'default', chatId: group.folder, name: 'local chat' },
        ...bindings.map((b) => ({
          channel: b.channel,
          accountId: b.accountId,
          chatId: b.chatId,
          name: b.name,
        })),
      ],
    };
  }

  async #groupOf(folder: string): Promise<RegisteredGroup> {
    const group = await this.#deps.registry.get(folder).catch(() => undefined);
    if (!group) throw new HostApiError('not-found', `no group "${folder}"`);
    return group;
  }

  async #taskView(task: ScheduledTask): Promise<TaskView> {
    const group = await this.#deps.registry.getById(task.groupId);
    return {
      id: task.id,
      folder: group?.folder ?? task.groupId,
      prompt: task.prompt,
      schedule: task.schedule,
      timezone: task.timezone,
      contextMode: task.contextMode,
      status: task.status,
      nextRun: task.nextRun,
      nextRuns: task.status === 'active' ? upcomingRunTimes(task.schedule, task.timezone, task.nextRun) : [],
      lastRun: task.lastRun,
    };
  }

  async #taskCommand(run: () => Promise<ScheduledTask>): Promise<TaskView> {
    return this.#taskView(await translate(run));
  }
}

/** The scheduler's input for a task of `group`. */
function newTask(group: RegisteredGroup, input: AddTaskInput) {
  return {
    groupId: group.id,
    prompt: input.prompt,
    schedule: input.schedule,
    ...(input.timezone ? { timezone: input.timezone } : {}),
    ...(input.contextMode ? { contextMode: input.contextMode } : {}),
  };
}

/** What the registry needs to add the group the API was asked for. */
function registryInput(input: AddGroupInput): Parameters<GroupRegistry['add']>[0] {
  return {
    folder: input.folder,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.trigger !== undefined ? { trigger: input.trigger } : {}),
    ...(input.provider !== undefined ? { provider: input.provider } : {}),
    ...(input.chat
      ? {
          chat: {
            ref: {
              channel: input.chat.channel,
              accountId: input.chat.accountId ?? 'default',
              chatId: input.chat.chatId,
            },
            ...(input.chat.name !== undefined ? { name: input.chat.name } : {}),
          },
        }
      : {}),
  };
}

/** A platform that is down does not make the host unready: the others and the local chat still work. */
function channelsCheck(statuses: ChannelStatus[]): Readiness['checks'][number] {
  const channels = statuses.filter((c) => c.state !== 'skipped');
  const down = channels.filter((c) => c.state !== 'connected');
  return {
    name: 'channels',
    ok: true,
    detail: [
      'local',
      ...channels.map((c) => `${c.channel}:${c.accountId} ${c.state}`),
      ...(down.length > 0 ? [`(${down.length} not connected)`] : []),
    ].join(', '),
  };
}

function channelView(status: ChannelStatus): HostStatus['channels'][number] {
  const detail =
    status.state === 'connected' ? undefined : (status.reason ?? status.lastError ?? status.state);
  return {
    channel: status.channel,
    accountId: status.accountId,
    connected: status.state === 'connected',
    ...(detail
      ? { detail: status.state === 'skipped' ? `skipped: ${detail}` : `${status.state}: ${detail}` }
      : {}),
  };
}

/** Domain errors become API errors with the right status; anything else stays a 500. */
async function translate<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HostApiError) throw error;
    if (isGroupError(error)) {
      const code =
        error.code === 'not-found'
          ? 'not-found'
          : error.code === 'forbidden'
            ? 'forbidden'
            : error.code === 'conflict'
              ? 'conflict'
              : 'invalid';
      throw new HostApiError(code, error.message);
    }
    if (error instanceof ScheduleValidationError) {
      throw new HostApiError('invalid', error.message, { field: error.field, cause: error });
    }
    if (error instanceof InboundValidationError) throw new HostApiError('invalid', error.message);
    if (error instanceof TaskNotFoundError) throw new HostApiError('not-found', error.message);
    throw error;
  }
}

/** What `nanoclaw send` says about a message the access gate or an open card took. */
function gateNote(outcome: RouteOutcome, folder: string): string | undefined {
  switch (outcome.kind) {
    case 'held':
      return `note: held until an approver lets this sender talk to ${folder} (access request ${outcome.approvalId}; nanoclaw approvals approve ${outcome.approvalId})`;
    case 'dropped':
      return `note: dropped: this sender is not a member of ${folder} (nanoclaw users add <platform:id> --role member --group ${folder})`;
    case 'answer':
      return 'note: taken as the answer to the open question in this chat';
    default:
      return undefined;
  }
}
