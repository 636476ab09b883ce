import type { AgentActionResult, AgentToolName } from '@nanoclaw/core';
import { agentActionSchema } from '@nanoclaw/core';
import { createSqliteTaskStore } from '@nanoclaw/db';
import { createScheduler, type Scheduler } from '@nanoclaw/scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AskInput } from '../approvals/index.js';
import { createOutbox } from '../delivery/outbox.js';
import { createGroupRegistry, type RegisteredGroup } from '../groups/group-registry.js';
import { createRecordingLogger, createTestEnv, telegramChat } from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { createAuditLog, createPeople } from '../people/index.js';
import { createActionContext } from './action-context.js';
import { type AgentActions, createAgentActions } from './agent-actions.js';

/**
 * Every agent tool × every kind of caller → allowed or refused. The callers: the main group's agent; the agent
 * of a group a person administers (an agent never inherits a person's role: it has a plain group's rights); the
 * agent of another plain group; and a modified runner of a plain group sending the most it can forge (fields the
 * schema does not have, another group's folder, task or chat). The context (which group is asking) comes from
 * the host's sandbox connection, never from the request, so no payload can claim to be another group.
 */
type Caller = 'main' | 'admin-owned' | 'other' | 'forged';
type Expect = 'allowed' | RegExp;

const env = perTest(createTestEnv);
let scheduler: Scheduler;
let actions: AgentActions;
let groups: Record<'main' | 'family' | 'work', RegisteredGroup>;
let taskOf: Record<'main' | 'family' | 'work', string>;
const asked: AskInput[] = [];

beforeEach(async () => {
  const db = env.database.db;
  const registry = createGroupRegistry({ db, groupsDir: env.groupsDir });
  groups = {
    main: await registry.add({ folder: 'main', isMain: true, chat: { ref: telegramChat('main-chat') } }),
    family: await registry.add({ folder: 'family', chat: { ref: telegramChat('fam') } }),
    work: await registry.add({ folder: 'work', chat: { ref: telegramChat('work') } }),
  };
  const people = createPeople({ db, registry, audit: createAuditLog(db) });
  await people.add({ userId: 'telegram:5', role: 'admin', group: 'family', actor: 'cli' });
  scheduler = createScheduler({ store: createSqliteTaskStore(db), timezone: 'UTC', onRun: () => undefined });
  const every = { kind: 'interval', everyMs: 3_600_000 } as const;
  taskOf = { main: '', family: '', work: '' };
  for (const name of ['main', 'family', 'work'] as const) {
    taskOf[name] = (
      await scheduler.createTask({ groupId: groups[name].id, prompt: name, schedule: every })
    ).id;
  }
  asked.length = 0;
  actions = createAgentActions({
    scheduler,
    registry,
    outbox: createOutbox(db),
    questions: {
      ask: async (input) => {
        asked.push(input);
        return { answered: true, option: 1, label: input.options[0] ?? '', by: 'telegram:1' };
      },
    },
    logger: createRecordingLogger(),
  });
});
afterEach(() => scheduler.stop());

/** Who asks, and the group whose things a plain caller reaches for (never its own). */
const callers: Record<Caller, { group: 'main' | 'family' | 'work'; foreign: 'family' | 'work' | 'main' }> = {
  main: { group: 'main', foreign: 'family' },
  'admin-owned': { group: 'family', foreign: 'work' },
  other: { group: 'work', foreign: 'family' },
  forged: { group: 'work', foreign: 'main' },
};

const every = { kind: 'interval', everyMs: 60_000 };
const chatOf = (folder: string) =>
  `telegram:default:${folder === 'family' ? 'fam' : folder === 'main' ? 'main-chat' : 'work'}`;

/** What each caller sends for each tool: reaching into another group, or (forged) beyond the schema. */
function request(tool: AgentToolName, caller: Caller): Record<string, unknown> {
  const { foreign } = callers[caller];
  const task = () => taskOf[foreign];
  const forged = caller === 'forged';
  switch (tool) {
    case 'send_message':
      return forged ? { text: 'hi', groupId: 'main' } : { text: 'hi', chat: chatOf(foreign) };
    case 'schedule_task':
      return { prompt: 'p', schedule: every, targetGroup: foreign };
    case 'list_tasks':
      return forged ? { groupId: groups.main.id } : {};
    case 'pause_task':
    case 'resume_task':
    case 'cancel_task':
      return { taskId: task() };
    case 'update_task':
      return { taskId: task(), prompt: 'changed' };
    case 'register_group':
      return { folder: `new-${caller}`, name: 'New', chat: 'telegram:default:new' };
    case 'list_chats':
      return forged ? { all: true } : {};
    case 'ask_user_question':
      return forged
        ? { question: 'which?', options: ['a', 'b'], chat: chatOf('main') }
        : { question: 'which?', options: ['a', 'b'] };
  }
}

const MAIN_ONLY = /only the main group/;
const NOT_OURS = /not this group's|not one of this group's chats/;
const INVALID = /^invalid action/;

const table: Record<AgentToolName, Record<Caller, Expect>> = {
  send_message: { main: 'allowed', 'admin-owned': NOT_OURS, other: NOT_OURS, forged: INVALID },
  schedule_task: { main: 'allowed', 'admin-owned': MAIN_ONLY, other: MAIN_ONLY, forged: MAIN_ONLY },
  list_tasks: { main: 'allowed', 'admin-owned': 'allowed', other: 'allowed', forged: INVALID },
  pause_task: { main: 'allowed', 'admin-owned': NOT_OURS, other: NOT_OURS, forged: NOT_OURS },
  resume_task: { main: 'allowed', 'admin-owned': NOT_OURS, other: NOT_OURS, forged: NOT_OURS },
  cancel_task: { main: 'allowed', 'admin-owned': NOT_OURS, other: NOT_OURS, forged: NOT_OURS },
  update_task: { main: 'allowed', 'admin-owned': NOT_OURS, other: NOT_OURS, forged: NOT_OURS },
  register_group: { main: 'allowed', 'admin-owned': MAIN_ONLY, other: MAIN_ONLY, forged: MAIN_ONLY },
  list_chats: { main: 'allowed', 'admin-owned': MAIN_ONLY, other: MAIN_ONLY, forged: INVALID },
  ask_user_question: { main: 'allowed', 'admin-owned': 'allowed', other: 'allowed', forged: INVALID },
};

const rows = Object.entries(table).flatMap(([tool, byCaller]) =>
  Object.entries(byCaller).map(
    ([caller, expected]) => [tool as AgentToolName, caller as Caller, expected] as const,
  ),
);

describe('agent-tool authorization table', () => {
  it('covers every tool of the protocol', () => {
    const tools = agentActionSchema.options.map((option) => option.shape.tool.value).sort();
    expect(Object.keys(table).sort()).toEqual(tools);
  });

  it.each(rows)('%s by %s → %s', async (tool, caller, expected) => {
    const group = groups[callers[caller].group];
    const ctx = createActionContext({
      groupId: group.id,
      runId: `run-${caller}`,
      chat: telegramChat(group.folder === 'family' ? 'fam' : group.folder === 'main' ? 'main-chat' : 'work'),
      requester: 'telegram:1',
    });
    const result: AgentActionResult = await actions.handle(ctx, { tool, ...request(tool, caller) });
    if (expected === 'allowed') {
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(expected);
    }
  });

  it('scopes what plain callers may do: their own tasks only, questions only in their own chat', async () => {
    const ctx = createActionContext({
      groupId: groups.work.id,
      runId: 'r',
      chat: telegramChat('work'),
      requester: 'telegram:1',
    });
    const listed = await actions.handle(ctx, { tool: 'list_tasks' });
    expect(listed.ok && (listed.result as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id)).toEqual([
      taskOf.work,
    ]);
    await actions.handle(ctx, { tool: 'ask_user_question', question: 'which?', options: ['a', 'b'] });
    expect(asked[0]).toMatchObject({
      chat: telegramChat('work'),
      askedUser: 'telegram:1',
      group: { folder: 'work' },
    });
  });
});
