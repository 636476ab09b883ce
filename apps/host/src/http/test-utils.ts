import type { TaskRunLog } from '@nanoclaw/core';
import type {
  GroupChatInput,
  GroupView,
  HostApi,
  HostStatus,
  PostedMessage,
  Readiness,
  TaskView,
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
    willReply: true,
    async status(): Promise<HostStatus> {
      return {
        version: '0.1.0',
        startedAt: Date.now() - 65_000,
        runtime: { name: 'docker', detail: 'Docker 27.0' },
        groups: groups.map((group) => ({ ...group, queued: 0, running: 0 })),
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
      findGroup(input.folder);
      const task: TaskView = {
        id: `task-${nextId++}`,
        folder: input.folder,
        prompt: input.prompt,
        schedule: input.schedule,
        timezone: input.timezone ?? 'UTC',
        contextMode: input.contextMode ?? 'group',
        status: 'active',
        nextRun: Date.now() + 60_000,
        lastRun: null,
      };
      tasks.push(task);
      return task;
    },
    async pauseTask(id) {
      const task = findTask(id);
      task.status = 'paused';
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
}

function fakeChat(chat: GroupChatInput): GroupView['chats'][number] {
  return {
    channel: chat.channel,
    accountId: chat.accountId ?? 'default',
    chatId: chat.chatId,
    name: chat.name ?? null,
  };
}
