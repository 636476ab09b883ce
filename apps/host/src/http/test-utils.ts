import type { TaskRunLog } from '@nanoclaw/core';
import type {
  AddTaskInput,
  GroupChatInput,
  GroupView,
  HostApi,
  HostStatus,
  MessageView,
  PostedMessage,
  Readiness,
  SandboxView,
  TaskView,
  UsageView,
} from '../host-api.js';
import { HostApiError } from '../host-api.js';
import { createHostEventBus, type HostEventBus } from '../local-channel/host-event-bus.js';
import { createFakePeopleApi, type FakePeopleApi } from './fake-people-api.js';

export { fakeApproval } from './fake-people-api.js';

export interface FakeHostApi extends HostApi, FakePeopleApi {
  readonly bus: HostEventBus;
  readonly groups: GroupView[];
  readonly tasks: TaskView[];
  readonly runs: TaskRunLog[];
  readonly posted: Array<{ folder: string; text: string; sender?: string; messageId: string }>;
  readonly usage: UsageView[];
  /** Settings files by folder (absent: none). */
  readonly configs: Map<string, unknown>;
  readonly sandboxes: SandboxView[];
  readonly messages: Map<string, MessageView[]>;
  readiness: () => Promise<Readiness>;
  /** Runs after a message is posted (its events may be published here); default: nothing. */
  onPost?: (posted: { folder: string; text: string; messageId: string }) => void;
  /** What `postMessage` answers about replying; default true. */
  willReply: boolean;
}

export function fakeGroup(folder: string, overrides: Partial<GroupView> = {}): GroupView {
  return {
    folder,
    name: folder === 'main' ? 'Main' : folder,
    isMain: folder === 'main',
    trigger: '@Andy',
    access: 'public',
    provider: { id: 'claude', source: 'credentials' },
    chats: [],
    ...overrides,
  };
}

/** An in-memory `HostApi` for surface tests: a few groups, tasks kept in a list, events on a real bus. */
export function createFakeHostApi(): FakeHostApi {
  const bus = createHostEventBus();
  const groups: GroupView[] = [fakeGroup('main'), fakeGroup('family', { trigger: '@Andy' })];
  const tasks: TaskView[] = [];
  const runs: TaskRunLog[] = [];
  const posted: FakeHostApi['posted'] = [];
  const sandboxes: SandboxView[] = [];
  const configs = new Map<string, unknown>();
  const messages = new Map<string, MessageView[]>();
  const usage: UsageView[] = [];
  let nextId = 1;

  const findGroup = (folder: string): GroupView => {
    const group = groups.find((g) => g.folder === folder);
    if (!group) throw new HostApiError('not-found', `no group "${folder}"`);
    return group;
  };
  const findTask = (id: string): TaskView => {
    const task = tasks.find((t) => t.id === id);
    if (!task) throw new HostApiError('not-found', `no task "${id}"`);
    return task;
  };

  const fake: FakeHostApi = {
    ...createFakePeopleApi(groups),
    bus,
    groups,
    tasks,
    runs,
    posted,
    usage,
    configs,
    sandboxes,
    messages,
    willReply: true,
    async status(): Promise<HostStatus> {
      return {
        version: '0.1.0',
        startedAt: Date.now() - 65_000,
        runtime: { name: 'docker', detail: 'Docker 27.0' },
        groups: groups.map((group) => ({
          ...group,
          queued: 0,
          running: 0,
          sandbox: sandboxes.find((s) => s.folder === group.folder)?.state ?? 'none',
          lastError: null,
        })),
        channels: [{ channel: 'local', accountId: 'default', connected: true }],
      };
    },
    async listGroups() {
      return groups;
    },
    async addGroup(input) {
      if (groups.some((g) => g.folder === input.folder)) {
        throw new HostApiError('conflict', `group "${input.folder}" exists`);
      }
      const group = fakeGroup(input.folder, {
        name: input.name ?? input.folder,
        trigger: input.trigger ?? '@Andy',
        provider: input.provider
          ? { id: input.provider, source: 'group' }
          : { id: 'claude', source: 'credentials' },
        chats: input.chat ? [fakeChat(input.chat)] : [],
      });
      groups.push(group);
      return group;
    },
    async bindChat(folder, chat) {
      const group = findGroup(folder);
      group.chats.push(fakeChat(chat));
      return group;
    },
    async removeGroup(folder) {
      const group = findGroup(folder);
      if (group.isMain) throw new HostApiError('forbidden', 'the main group cannot be removed');
      groups.splice(groups.indexOf(group), 1);
      return { folder, path: `/srv/nanoclaw/groups/${folder}` };
    },
    async listTasks(filter) {
      return tasks.filter(
        (t) =>
          (!filter?.folder || t.folder === filter.folder) && (!filter?.status || t.status === filter.status),
      );
    },
    async addTask(input) {
      const task = { ...fakeTask(input), id: `task-${nextId++}` };
      tasks.push(task);
      return task;
    },
    async previewTask(input) {
      return fakeTask(input);
    },
    async listUsage(query = {}) {
      return usage.filter((row) => !query.folder || row.folder === query.folder);
    },
    async getGroupConfig(folder) {
      findGroup(folder);
      return { folder, config: configs.get(folder) ?? {}, error: null };
    },
    async setGroupConfig(folder, config) {
      findGroup(folder);
      const unknownKey = Object.keys(config as object).find((key) => key.startsWith('bad'));
      if (unknownKey) {
        throw new HostApiError(
          'invalid',
          `groups/${folder}.container.json: ${unknownKey}: is not a setting`,
          {
            field: unknownKey,
          },
        );
      }
      configs.set(folder, config);
      return { folder, config, error: null };
    },
    async listSandboxes() {
      return sandboxes;
    },
    async killSandbox(id) {
      const at = sandboxes.findIndex((sandbox) => sandbox.id === id);
      if (at < 0) throw new HostApiError('not-found', `no sandbox "${id}"`);
      sandboxes.splice(at, 1);
      return { id, killed: true as const };
    },
    async listMessages(folder, query = {}) {
      findGroup(folder);
      return (messages.get(folder) ?? []).slice(-(query.limit ?? 50));
    },
    async pauseTask(id) {
      const task = findTask(id);
      task.status = 'paused';
      task.nextRuns = [];
      return task;
    },
    async resumeTask(id) {
      const task = findTask(id);
      task.status = 'active';
      return task;
    },
    async cancelTask(id) {
      const task = findTask(id);
      task.status = 'cancelled';
      task.nextRun = null;
      task.nextRuns = [];
      return task;
    },
    async listRuns(filter) {
      const selected = runs.filter((run) => !filter?.taskId || run.taskId === filter.taskId);
      return selected.slice(0, filter?.limit ?? 20);
    },
    async postMessage(folder, input): Promise<PostedMessage> {
      findGroup(folder);
      const messageId = `msg-${nextId++}`;
      posted.push({ folder, messageId, ...input });
      const willReply = fake.willReply;
      queueMicrotask(() => fake.onPost?.({ folder, text: input.text, messageId }));
      return { messageId, willReply };
    },
    subscribe(folder, listener) {
      return bus.subscribe(folder, listener);
    },
    async readiness() {
      return {
        ready: true,
        checks: [
          { name: 'database', ok: true, detail: 'ok' },
          { name: 'runtime', ok: true, detail: 'docker' },
          { name: 'channels', ok: true, detail: '1 connected' },
        ],
      };
    },
  };
  return fake;

  function fakeTask(input: AddTaskInput): TaskView {
    findGroup(input.folder);
    if (input.schedule.kind === 'cron' && input.schedule.expression.split(' ').length !== 5) {
      throw new HostApiError(
        'invalid',
        `schedule.expression: "${input.schedule.expression}" is not a cron expression`,
        {
          field: 'schedule.expression',
        },
      );
    }
    const nextRun = Date.now() + 60_000;
    return {
      id: '',
      folder: input.folder,
      prompt: input.prompt,
      schedule: input.schedule,
      timezone: input.timezone ?? 'UTC',
      contextMode: input.contextMode ?? 'group',
      status: 'active',
      nextRun,
      nextRuns: [nextRun, nextRun + 60_000, nextRun + 120_000],
      lastRun: null,
    };
  }
}

function fakeChat(chat: GroupChatInput): GroupView['chats'][number] {
  return {
    channel: chat.channel,
    accountId: chat.accountId ?? 'default',
    chatId: chat.chatId,
    name: chat.name ?? null,
  };
}
