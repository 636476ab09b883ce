import fs from 'node:fs/promises';
import path from 'node:path';
import type { AgentActionResult, ChannelAdapter, ScheduledTask } from '@nanoclaw/core';
import { createSqliteTaskStore } from '@nanoclaw/db';
import { createScheduler, type Scheduler } from '@nanoclaw/scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutbox, type Outbox } from '../delivery/outbox.js';
import type { ChatRef } from '../groups/chat-ref.js';
import { createGroupRegistry, type GroupRegistry, type RegisteredGroup } from '../groups/group-registry.js';
import { createRecordingLogger, createTestEnv, telegramChat } from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { createOutboundFileSpool } from '../media/outbound-file.js';
import { type ActionContext, createActionContext } from './action-context.js';
import { type AgentActions, createAgentActions } from './agent-actions.js';

const env = perTest(createTestEnv);
let registry: GroupRegistry;
let scheduler: Scheduler;
let outbox: Outbox;
let actions: AgentActions;
let main: RegisteredGroup;
let family: RegisteredGroup;
let work: RegisteredGroup;

const every = { kind: 'interval', everyMs: 3_600_000 } as const;

beforeEach(async () => {
  registry = createGroupRegistry({ db: env.database.db, groupsDir: env.groupsDir });
  main = await registry.add({ folder: 'main', isMain: true, chat: { ref: telegramChat('main-chat') } });
  family = await registry.add({ folder: 'family', chat: { ref: telegramChat('fam') } });
  work = await registry.add({ folder: 'work', chat: { ref: telegramChat('work') } });
  scheduler = createScheduler({
    store: createSqliteTaskStore(env.database.db),
    timezone: 'UTC',
    onRun: () => undefined,
  });
  outbox = createOutbox(env.database.db);
  actions = createAgentActions({ scheduler, registry, outbox, logger: createRecordingLogger() });
});
afterEach(async () => {
  await scheduler.stop();
});

const ctxOf = (group: RegisteredGroup, chat?: ChatRef, runId = 'run-1'): ActionContext =>
  createActionContext({ groupId: group.id, runId, ...(chat ? { chat } : {}) });
const mainCtx = () => ctxOf(main, telegramChat('main-chat'));
const familyCtx = () => ctxOf(family, telegramChat('fam'));

function expectOk(result: AgentActionResult): unknown {
  if (!result.ok) throw new Error(`expected ok, got error: ${result.error}`);
  return result.result;
}

function expectRefused(result: AgentActionResult, message: RegExp): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error).toMatch(message);
}

async function taskFor(
  group: RegisteredGroup,
  createdBy: RegisteredGroup | null = group,
): Promise<ScheduledTask> {
  return scheduler.createTask({
    groupId: group.id,
    prompt: `task of ${group.folder}`,
    schedule: every,
    createdByGroupId: createdBy?.id ?? null,
  });
}

/** The agent's send_message, `chat` as it writes it (default: the run's chat). */
const send = (ctx: ActionContext, text: string, chat?: string) =>
  actions.handle(ctx, { tool: 'send_message', text, ...(chat === undefined ? {} : { chat }) });
const sentTo = async () =>
  (await outbox.list()).map((r) => `${r.message.channel}:${r.message.accountId}:${r.message.chatId}`);

describe('send_message', () => {
  describe('main group', () => {
    it('may send to any registered chat', async () => {
      const chats = ['telegram:default:fam', 'telegram:default:work', 'local:default:family'];
      const ctx = mainCtx();
      for (const chat of chats) expectOk(await send(ctx, 'hi', chat));
      expect(await sentTo()).toEqual(chats);
    });

    it('may not send to an unregistered chat', async () => {
      expectRefused(
        await send(mainCtx(), 'hi', 'telegram:default:stranger'),
        /not registered with any group/,
      );
      expect(await outbox.list()).toEqual([]);
    });
  });

  describe('other group', () => {
    it('may send to its own chats: the run chat by default, or a chat bound to it', async () => {
      await registry.bindChat(telegramChat('fam-2'), 'family');
      const ctx = familyCtx();
      const sends = [['a'], ['b', 'telegram:default:fam-2'], ['c', 'local:default:family']] as const;
      for (const [text, chat] of sends) expectOk(await send(ctx, text, chat));
      expect(await sentTo()).toEqual([
        'telegram:default:fam',
        'telegram:default:fam-2',
        'local:default:family',
      ]);
    });

    it.each([
      ['another group’s chat', 'telegram:default:work'],
      ['the main group’s chat', 'telegram:default:main-chat'],
      ['another group’s local chat', 'local:default:work'],
      ['an unregistered chat', 'telegram:default:stranger'],
    ])('may not send to %s', async (_label, chat) => {
      expectRefused(
        await send(familyCtx(), 'hi', chat),
        /not one of this group's chats; only the main group can message other chats/,
      );
      expect(await outbox.list()).toEqual([]);
    });
  });

  it('keys sends by run id and a per-try counter, so a re-run of the same run sends nothing twice', async () => {
    const first = familyCtx();
    const r1 = expectOk(await send(first, 'one'));
    expectOk(await send(first, 'two'));
    expect(r1).toMatchObject({ chat: 'telegram:default:fam', duplicate: false });
    const rerun = familyCtx();
    const again = expectOk(await send(rerun, 'one'));
    expect(again).toMatchObject({ duplicate: true });
    expect((await outbox.list()).map((r) => r.idempotencyKey)).toEqual([
      'agent:run-1:send:1',
      'agent:run-1:send:2',
    ]);
    expect((await outbox.list()).map((r) => r.groupId)).toEqual([family.id, family.id]);
    expectOk(
      await actions.handle(ctxOf(family, telegramChat('fam'), 'run-2'), {
        tool: 'send_message',
        text: 'one',
      }),
    );
    expect(await outbox.list()).toHaveLength(3);
  });

  it('refused sends do not use up a key', async () => {
    const ctx = familyCtx();
    expectRefused(await send(ctx, 'x', 'telegram:default:work'), /not one/);
    expectOk(await send(ctx, 'y'));
    expect((await outbox.list()).map((r) => r.idempotencyKey)).toEqual(['agent:run-1:send:1']);
  });

  it('replies in the run’s thread, and refuses when there is no chat to default to', async () => {
    const ctx = ctxOf(family, { ...telegramChat('fam'), threadId: 't-1' });
    expectOk(await send(ctx, 'x'));
    expect((await outbox.list())[0]?.message.threadId).toBe('t-1');
    expectRefused(await send(ctxOf(family), 'x'), /answers no chat/);
    expectRefused(await send(familyCtx(), 'x', 'fam'), /"channel:account:chat"/);
  });
});

describe('schedule_task', () => {
  const schedule = (targetGroup?: string) => ({
    tool: 'schedule_task',
    prompt: 'water the plants',
    schedule: { kind: 'cron', expression: '0 9 * * *' },
    timezone: 'Europe/London',
    ...(targetGroup ? { targetGroup } : {}),
  });

  describe('main group', () => {
    it('may schedule for itself and for any group', async () => {
      const own = expectOk(await actions.handle(mainCtx(), schedule()));
      const other = expectOk(await actions.handle(mainCtx(), schedule('family')));
      expect(own).toMatchObject({ folder: 'main', status: 'active', timezone: 'Europe/London' });
      expect(other).toMatchObject({ folder: 'family' });
      const tasks = await scheduler.listTasks();
      expect(tasks.map((t) => [t.groupId, t.createdByGroupId])).toEqual([
        [main.id, main.id],
        [family.id, main.id],
      ]);
    });

    it('gets a clear error for an unknown group', async () => {
      expectRefused(await actions.handle(mainCtx(), schedule('nope')), /no group with folder "nope"/);
    });
  });

  describe('other group', () => {
    it('may schedule only for itself', async () => {
      expectOk(await actions.handle(familyCtx(), schedule()));
      expectOk(await actions.handle(familyCtx(), schedule('family')));
      expect((await scheduler.listTasks()).map((t) => [t.groupId, t.createdByGroupId])).toEqual([
        [family.id, family.id],
        [family.id, family.id],
      ]);
    });

    it.each(['work', 'main'])('may not schedule for %s', async (folder) => {
      expectRefused(
        await actions.handle(familyCtx(), schedule(folder)),
        /only the main group can schedule tasks for other groups/,
      );
      expect(await scheduler.listTasks()).toEqual([]);
    });
  });

  it.each([
    [{ kind: 'cron', expression: 'every day' }, undefined, /invalid task: schedule\.expression/],
    [{ kind: 'interval', everyMs: 10 }, undefined, /invalid task: schedule\.everyMs: must be at least/],
    [
      { kind: 'once', at: '2001-01-01T00:00:00Z' },
      undefined,
      /invalid task: schedule\.at: .* is in the past/,
    ],
    [{ kind: 'cron', expression: '0 9 * * *' }, 'Mars/Olympus', /invalid task: timezone/],
  ])('returns scheduler validation errors clearly: %j', async (sched, timezone, message) => {
    const result = await actions.handle(familyCtx(), {
      tool: 'schedule_task',
      prompt: 'x',
      schedule: sched,
      ...(timezone ? { timezone } : {}),
    });
    expectRefused(result, message);
    expect(await scheduler.listTasks()).toEqual([]);
  });
});

describe.each([
  ['pause_task', {}, 'paused'],
  ['resume_task', {}, 'active'],
  ['cancel_task', {}, 'cancelled'],
  ['update_task', { prompt: 'new prompt' }, 'active'],
] as const)('%s', (tool, extra, status) => {
  const run = async (ctx: ActionContext, task: ScheduledTask) => {
    if (tool === 'resume_task') await scheduler.pauseTask(task.id);
    return actions.handle(ctx, { tool, taskId: task.id, ...extra });
  };

  it('main group: may act on any task', async () => {
    for (const group of [main, family, work]) {
      const task = await taskFor(group);
      expect(expectOk(await run(mainCtx(), task))).toMatchObject({
        id: task.id,
        status,
        folder: group.folder,
      });
    }
  });

  it('other group: may act on its own tasks', async () => {
    const own = await taskFor(family);
    expect(expectOk(await run(familyCtx(), own))).toMatchObject({ id: own.id, status });
    const operatorMade = await taskFor(family, null);
    expect(expectOk(await run(familyCtx(), operatorMade))).toMatchObject({ status });
  });

  it.each([
    ['another group’s task', () => taskFor(work)],
    ['the main group’s task', () => taskFor(main)],
    ['a task the main group made for it', () => taskFor(family, main)],
  ])('other group: may not act on %s', async (_label, make) => {
    const task = await make();
    const before = await scheduler.getTask(task.id);
    const result = await actions.handle(familyCtx(), { tool, taskId: task.id, ...extra });
    expectRefused(result, /is not this group's; only the main group can manage other groups' tasks/);
    const after = await scheduler.getTask(task.id);
    if (tool !== 'resume_task') expect(after).toEqual(before);
  });

  it('an unknown task is a clear error', async () => {
    expectRefused(
      await actions.handle(mainCtx(), { tool, taskId: 'nope', ...extra }),
      /no task with id "nope"/,
    );
  });
});

describe('update_task validation', () => {
  it('returns a scheduler validation error, and needs something to change', async () => {
    const task = await taskFor(family);
    expectRefused(
      await actions.handle(familyCtx(), {
        tool: 'update_task',
        taskId: task.id,
        schedule: { kind: 'cron', expression: '61 * * * *' },
      }),
      /invalid task: schedule\.expression/,
    );
    expectRefused(
      await actions.handle(familyCtx(), { tool: 'update_task', taskId: task.id }),
      /needs a new prompt/,
    );
    const cancelled = await taskFor(family);
    await scheduler.cancelTask(cancelled.id);
    expectRefused(
      await actions.handle(familyCtx(), { tool: 'resume_task', taskId: cancelled.id }),
      /invalid task: status: .* only a paused task can be resumed/,
    );
  });
});

describe('list_tasks', () => {
  it('main group: all tasks', async () => {
    await taskFor(main);
    await taskFor(family);
    await taskFor(work);
    const result = expectOk(await actions.handle(mainCtx(), { tool: 'list_tasks' })) as {
      tasks: Array<{ folder: string }>;
    };
    expect(result.tasks.map((t) => t.folder).sort()).toEqual(['family', 'main', 'work']);
  });

  it('other group: its own only', async () => {
    await taskFor(main);
    const own = await taskFor(family);
    await taskFor(work);
    const result = expectOk(await actions.handle(familyCtx(), { tool: 'list_tasks' })) as {
      tasks: Array<{ id: string; nextRun: string | null }>;
    };
    expect(result.tasks.map((t) => t.id)).toEqual([own.id]);
    expect(result.tasks[0]?.nextRun).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('register_group', () => {
  it('main group: registers a group with a chat and trigger', async () => {
    const result = expectOk(
      await actions.handle(mainCtx(), {
        tool: 'register_group',
        folder: 'book-club',
        name: 'Book club',
        chat: 'telegram:default:books',
        trigger: '^!books',
      }),
    );
    expect(result).toEqual({
      folder: 'book-club',
      name: 'Book club',
      trigger: '^!books',
      chat: 'telegram:default:books',
    });
    const group = await registry.get('book-club');
    expect(group).toMatchObject({ isMain: false, trigger: '^!books' });
    expect((await registry.findBinding(telegramChat('books')))?.groupId).toBe(group?.id);
  });

  it('main group: cannot create another main group', async () => {
    expectRefused(
      await actions.handle(mainCtx(), { tool: 'register_group', folder: 'x', name: 'X', isMain: true }),
      /invalid action/,
    );
    expect(await registry.get('x')).toBeUndefined();
  });

  it('main group: gets clear errors for a bad folder, a taken chat or folder', async () => {
    expectRefused(
      await actions.handle(mainCtx(), { tool: 'register_group', folder: '../evil', name: 'E' }),
      /group folder "..\/evil" must be/,
    );
    expectRefused(
      await actions.handle(mainCtx(), {
        tool: 'register_group',
        folder: 'x',
        name: 'X',
        chat: 'telegram:default:fam',
      }),
      /already bound to group "family"/,
    );
    expectRefused(
      await actions.handle(mainCtx(), { tool: 'register_group', folder: 'work', name: 'W' }),
      /already exists/,
    );
    expectRefused(
      await actions.handle(mainCtx(), { tool: 'register_group', folder: 'x', name: 'X', chat: 'nochat' }),
      /"channel:account:chat"/,
    );
  });

  it('other group: refused', async () => {
    expectRefused(
      await actions.handle(familyCtx(), { tool: 'register_group', folder: 'x', name: 'X' }),
      /only the main group can register groups/,
    );
    expect(await registry.get('x')).toBeUndefined();
  });
});

describe('list_chats', () => {
  it('main group: all groups and chats', async () => {
    const result = expectOk(await actions.handle(mainCtx(), { tool: 'list_chats' }));
    expect(result).toEqual({
      groups: [
        { folder: 'main', name: 'main', isMain: true, configError: null },
        { folder: 'family', name: 'family', isMain: false, configError: null },
        { folder: 'work', name: 'work', isMain: false, configError: null },
      ],
      chats: [
        { chat: 'telegram:default:fam', name: null, folder: 'family' },
        { chat: 'telegram:default:main-chat', name: null, folder: 'main' },
        { chat: 'telegram:default:work', name: null, folder: 'work' },
      ],
    });
  });

  it('other group: refused', async () => {
    expectRefused(
      await actions.handle(familyCtx(), { tool: 'list_chats' }),
      /only the main group can list chats/,
    );
  });
});

describe('send_message attachments', () => {
  const limits = {
    maxTextLength: 4096,
    attachments: true,
    maxAttachmentBytes: 1024 * 1024,
    typingIndicator: true,
  };
  let files: ReturnType<typeof createOutboundFileSpool>;
  let withFiles: AgentActions;
  beforeEach(async () => {
    files = createOutboundFileSpool({
      root: path.join(env.root, 'data/outbox-files'),
      logger: createRecordingLogger(),
    });
    const telegram = { limits } as ChannelAdapter;
    const local = { limits: { ...limits, attachments: false } } as ChannelAdapter;
    withFiles = createAgentActions({
      scheduler,
      registry,
      outbox,
      files,
      adapters: { get: (key) => (key === 'telegram:default' ? telegram : local) },
      logger: createRecordingLogger(),
    });
    await fs.mkdir(path.join(registry.groupDir('family'), 'out'), { recursive: true });
    await fs.writeFile(path.join(registry.groupDir('family'), 'out/notes.txt'), 'hello');
  });
  const sendFiles = (attachments: string[], text = '', chat?: string) =>
    withFiles.handle(familyCtx(), { tool: 'send_message', text, attachments, ...(chat ? { chat } : {}) });

  it('queues a copy of each file and tells the agent what was queued', async () => {
    const result = expectOk(await sendFiles(['out/notes.txt']));
    expect(result).toMatchObject({
      queued: true,
      files: [{ name: 'notes.txt', mimeType: 'text/plain', sizeBytes: 5 }],
    });
    const [row] = await outbox.list();
    expect(row?.message).toMatchObject({ text: '', attachments: [{ name: 'notes.txt', sizeBytes: 5 }] });
    const ref = row?.message.attachments?.[0]?.ref ?? '';
    expect(ref.startsWith(`${files.root}/`)).toBe(true);
    expect(await fs.readFile(ref, 'utf8')).toBe('hello');
  });

  it('refuses a file over the limit, an escape, an empty message and a chat without files; nothing is queued', async () => {
    await fs.writeFile(path.join(registry.groupDir('family'), 'big.bin'), Buffer.alloc(2_000_000));
    expectRefused(
      await sendFiles(['big.bin']),
      /^big\.bin is 1\.9 MB; telegram bots can send files up to 1 MB — nothing was sent$/,
    );
    expectRefused(await sendFiles(['../work/x']), /not a plain relative path inside the group folder/);
    expectRefused(await sendFiles([], ' '), /needs a text or attachments/);
    expectRefused(
      await sendFiles(['out/notes.txt'], '', 'local:default:family'),
      /^this chat cannot receive files/,
    );
    expect(await outbox.list()).toEqual([]);
  });

  it('is refused by a host without a file spool', async () => {
    expectRefused(
      await actions.handle(familyCtx(), { tool: 'send_message', text: 'x', attachments: ['out/notes.txt'] }),
      /cannot send files/,
    );
  });
});

describe('handle', () => {
  it.each([
    [{ tool: 'rm_rf' }],
    [{ tool: 'send_message', text: 5 }],
    [{ tool: 'send_message', text: 'x', groupId: 'main' }],
    [{ tool: 'send_message', text: 'x', attachments: Array(11).fill('a.png') }],
    [null],
    ['list_chats'],
  ])('refuses invalid input %j without throwing', async (input) => {
    expectRefused(await actions.handle(familyCtx(), input), /^invalid action/);
  });

  it('refuses when the context’s group is gone', async () => {
    await registry.remove('family');
    expectRefused(await actions.handle(familyCtx(), { tool: 'list_tasks' }), /no longer registered/);
  });

  it('turns an unexpected failure into an error result and logs it', async () => {
    const logger = createRecordingLogger();
    const broken = createAgentActions({
      scheduler: {
        ...scheduler,
        listTasks: () => Promise.reject(new Error('database is locked at /var/secret')),
      },
      registry,
      outbox,
      logger,
    });
    const result = await broken.handle(mainCtx(), { tool: 'list_tasks' });
    expectRefused(result, /could not complete list_tasks/);
    expect(!result.ok && result.error).not.toMatch(/secret/);
    expect(logger.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('forRun binds the context', async () => {
    const handler = actions.forRun(familyCtx());
    expectOk(await handler({ tool: 'send_message', text: 'hi' }));
    expectOk(await handler({ tool: 'send_message', text: 'hi again' }));
    expect((await outbox.list()).map((r) => r.idempotencyKey)).toEqual([
      'agent:run-1:send:1',
      'agent:run-1:send:2',
    ]);
  });
});
