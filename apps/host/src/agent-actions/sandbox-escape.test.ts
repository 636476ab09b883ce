import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentSandbox,
  buildMounts,
  buildSandboxEnv,
  buildSandboxSpec,
  createSandboxConnection,
  runnerAppMount,
} from '@nanoclaw/container-runner';
import {
  buildScratchImage,
  bwrapAvailability,
  captureLogger,
  collect,
  dockerAvailability,
  IN_CI,
  makeScratchDir,
  makeWritableDir,
  RUNNER_DIST,
  type SandboxAvailability,
  testBwrapRuntime,
  testDockerRuntime,
} from '@nanoclaw/container-runner/test';
import type {
  AgentAction,
  AgentActionResult,
  AgentEvent,
  ContainerRuntime,
  ScheduledTask,
} from '@nanoclaw/core';
import { createSqliteTaskStore, type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import { createScheduler, type Scheduler } from '@nanoclaw/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type Outbox } from '../delivery/outbox.js';
import { type ChatRef, formatChatRef } from '../groups/chat-ref.js';
import { createGroupRegistry, type GroupRegistry, type RegisteredGroup } from '../groups/group-registry.js';
import { createRecordingLogger } from '../groups/test-support.js';
import { createActionContext } from './action-context.js';
import { type AgentActions, createAgentActions } from './agent-actions.js';

/**
 * The last escape attempt: a sandboxed agent calling a host action for ANOTHER group. The real agent runner (its
 * `mock` provider, steered by `/tool` directives) runs in a real sandbox (bwrap, docker) for the non-main group
 * `family`; its tool calls reach the host as `agent/action` on a connection bound to `family` at spawn. Every
 * attempt to act for `work` or `main` must come back to the agent as an error (or, for list_tasks, show
 * family's tasks only) and leave the host's state exactly as it was.
 */
const RUNNER_MAIN = path.join(RUNNER_DIST, 'main.js');
const RUNNER_IMAGE = 'nanoclaw-test/agent-runner:cross-group';
const SESSION_ID = 'cross-group-session';
const PROVIDER_HOME = '.mock';

const FAMILY_CHAT: ChatRef = { channel: 'local', accountId: 'default', chatId: 'family' };
const WORK_CHAT: ChatRef = { channel: 'telegram', accountId: 'default', chatId: 'work-chat' };
const MAIN_CHAT: ChatRef = { channel: 'telegram', accountId: 'default', chatId: 'main-chat' };
const EVERY_HOUR = { kind: 'interval', everyMs: 3_600_000 } as const;

interface World {
  root: string;
  database: NanoclawDatabase;
  registry: GroupRegistry;
  scheduler: Scheduler;
  outbox: Outbox;
  actions: AgentActions;
  main: RegisteredGroup;
  family: RegisteredGroup;
  work: RegisteredGroup;
  workTask: ScheduledTask;
  familyTask: ScheduledTask;
}

async function makeWorld(name: string): Promise<World> {
  const root = await makeScratchDir(`cross-group-${name}`);
  const groupsDir = path.join(root, 'groups');
  await fs.mkdir(groupsDir, { mode: 0o755 });
  await fs.chmod(groupsDir, 0o755);
  const database = await openDatabase({ path: ':memory:' });
  const registry = createGroupRegistry({ db: database.db, groupsDir });
  const main = await registry.add({ folder: 'main', isMain: true, chat: { ref: MAIN_CHAT } });
  const family = await registry.add({ folder: 'family', chat: { ref: FAMILY_CHAT } });
  const work = await registry.add({ folder: 'work', chat: { ref: WORK_CHAT } });
  // What the sandbox of `family` mounts: its own folder (rw), groups/global (ro), its session's provider home.
  await fs.chmod(registry.groupDir('family'), 0o777);
  await makeWritableDir(groupsDir, 'global');
  await makeWritableDir(path.join(root, 'data/sessions', SESSION_ID, 'home'), PROVIDER_HOME);
  await fs.chmod(path.join(root, 'data'), 0o755);
  const scheduler = createScheduler({
    store: createSqliteTaskStore(database.db),
    timezone: 'UTC',
    onRun: () => undefined,
  });
  const outbox = createOutbox(database.db);
  const actions = createAgentActions({ scheduler, registry, outbox, logger: createRecordingLogger() });
  // Created from the host side: work's own task (the strongest case: only the group check protects it) and
  // one of family's, so list_tasks has something to show.
  const workTask = await scheduler.createTask({
    groupId: work.id,
    prompt: 'send the weekly work report',
    schedule: EVERY_HOUR,
    createdByGroupId: work.id,
  });
  const familyTask = await scheduler.createTask({
    groupId: family.id,
    prompt: 'water the plants',
    schedule: EVERY_HOUR,
    createdByGroupId: family.id,
  });
  return {
    root,
    database,
    registry,
    scheduler,
    outbox,
    actions,
    main,
    family,
    work,
    workTask,
    familyTask,
  };
}

/** Everything an action could change, in a comparable form. */
async function hostState(world: World): Promise<string> {
  const groups = (await world.registry.list()).map((g) => ({ id: g.id, folder: g.folder, isMain: g.isMain }));
  const bindings = (await world.registry.listBindings()).map((b) => ({
    chat: formatChatRef(b),
    groupId: b.groupId,
  }));
  const tasks = await world.scheduler.listTasks({});
  const outbox = await world.outbox.list();
  return JSON.stringify({ groups, bindings, tasks, outbox });
}

/** The fields of list_tasks' answer this test reads. */
interface TaskView {
  id: string;
  folder: string;
}

interface Attempt {
  label: string;
  tool: AgentAction['tool'];
  args: Record<string, unknown>;
  /**
   * How the agent must see it blocked: `refused` = the tool result is an error matching the pattern; `schema` =
   * the same, and the call never reached the host; `own-only` = list_tasks answers with family's tasks only.
   */
  expect: { kind: 'refused' | 'schema'; error: RegExp } | { kind: 'own-only' };
}

function attemptsFor(world: World): Attempt[] {
  const workChat = formatChatRef(WORK_CHAT);
  const notOurChat = /is not one of this group's chats; only the main group can message other chats/;
  const notOurTask = new RegExp(
    `task "${world.workTask.id}" is not this group's; only the main group can manage other groups' tasks`,
  );
  /** An attempt the tool refuses with `error`. */
  const refused = (label: string, tool: Attempt['tool'], args: Attempt['args'], error: RegExp): Attempt => ({
    label,
    tool,
    args,
    expect: { kind: 'refused', error },
  });
  /** An attempt whose forged `key` the tool's schema rejects. */
  const forged = (label: string, tool: Attempt['tool'], args: Attempt['args'], key: string): Attempt => ({
    label,
    tool,
    args,
    expect: {
      kind: 'schema',
      error: new RegExp(`invalid arguments for ${tool}: .*Unrecognized key.*"${key}"`),
    },
  });
  return [
    refused("send_message to work's chat", 'send_message', { text: 'x', chat: workChat }, notOurChat),
    refused(
      "send_message to work's local chat",
      'send_message',
      { text: 'x', chat: 'local:default:work' },
      notOurChat,
    ),
    refused(
      "send_message to main's chat",
      'send_message',
      { text: 'x', chat: formatChatRef(MAIN_CHAT) },
      notOurChat,
    ),
    refused(
      'schedule_task with targetGroup "work"',
      'schedule_task',
      { prompt: 'leak work data', schedule: EVERY_HOUR, targetGroup: 'work' },
      /only the main group can schedule tasks for other groups/,
    ),
    refused(
      'schedule_task with targetGroup "main"',
      'schedule_task',
      { prompt: 'act as main', schedule: EVERY_HOUR, targetGroup: 'main' },
      /only the main group can schedule tasks for other groups/,
    ),
    refused("pause_task on work's task", 'pause_task', { taskId: world.workTask.id }, notOurTask),
    refused("cancel_task on work's task", 'cancel_task', { taskId: world.workTask.id }, notOurTask),
    refused(
      "update_task on work's task",
      'update_task',
      { taskId: world.workTask.id, prompt: 'send the report to family instead' },
      notOurTask,
    ),
    refused("resume_task on work's task", 'resume_task', { taskId: world.workTask.id }, notOurTask),
    {
      label: 'list_tasks (must show family only)',
      tool: 'list_tasks',
      args: {},
      expect: { kind: 'own-only' },
    },
    refused(
      "register_group taking work's chat",
      'register_group',
      { folder: 'evil', name: 'Evil', chat: workChat },
      /only the main group can register groups/,
    ),
    refused('list_chats', 'list_chats', {}, /only the main group can list chats and groups/),
    forged(
      "send_message with a forged groupId (work's id)",
      'send_message',
      { text: 'x', groupId: world.work.id },
      'groupId',
    ),
    forged('send_message with a forged group "main"', 'send_message', { text: 'x', group: 'main' }, 'group'),
    forged(
      "schedule_task with a forged groupId (work's id)",
      'schedule_task',
      { prompt: 'p', schedule: EVERY_HOUR, groupId: world.work.id },
      'groupId',
    ),
    forged(
      "list_tasks with a forged groupId (work's id)",
      'list_tasks',
      { groupId: world.work.id },
      'groupId',
    ),
  ];
}

interface ToolTurn {
  result: Extract<AgentEvent, { type: 'tool-result' }> | undefined;
  finalText: string;
  events: AgentEvent[];
}

/** One mock turn that makes exactly one tool call; returns what the agent saw. */
async function toolTurn(
  sandbox: AgentSandbox,
  tool: string,
  args: Record<string, unknown>,
): Promise<ToolTurn> {
  const events = await collect(sandbox.run({ text: `/tool nanoclaw.${tool} ${JSON.stringify(args)}` }));
  const end = events.find((e) => e.type === 'turn-end');
  expect(end, JSON.stringify(events)).toMatchObject({ type: 'turn-end', status: 'completed' });
  const results = events.filter((e) => e.type === 'tool-result');
  expect(results, JSON.stringify(events)).toHaveLength(1);
  return { result: results[0], finalText: end?.type === 'turn-end' ? end.text : '', events };
}

function crossGroupSuite(
  name: string,
  availability: () => Promise<SandboxAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: () => Promise<string>,
) {
  describe(`cross-group host actions from a real ${name} sandbox`, () => {
    let world: World | undefined;
    beforeAll(async () => {
      world = await makeWorld(name);
    });
    afterAll(async () => {
      if (!world) return;
      await world.scheduler.stop();
      await world.database.close();
      await fs.rm(world.root, { recursive: true, force: true });
    });

    it('refuses every attempt by family to act for work or main; family may still message its own chat', async (ctx) => {
      if (!existsSync(RUNNER_MAIN)) {
        const reason = `${RUNNER_MAIN} is not built (turbo run build --filter=@nanoclaw/agent-runner)`;
        if (IN_CI) throw new Error(`[cross-group attempts: ${name}] ${reason}`);
        console.warn(`[cross-group attempts: ${name}] skipped: ${reason}`);
        return ctx.skip();
      }
      const available = await availability();
      if (!available.ok) {
        if (available.required) throw new Error(`${name} required: ${available.reason}`);
        console.warn(`[cross-group attempts: ${name}] skipped: ${available.reason}`);
        return ctx.skip();
      }
      const w = world as World;
      const started = Date.now();
      const imageTag = image ? await image() : undefined;
      let app: string | undefined;
      if (!imageTag) {
        // The checkout may not be readable by the sandbox uid: a world-readable copy of the bundle.
        app = path.join(w.root, 'app');
        await fs.cp(RUNNER_DIST, app, { recursive: true });
        await fs.chmod(app, 0o755);
      }
      const spec = buildSandboxSpec({
        installId: 'cross-group-test',
        groupFolder: 'family',
        sessionId: SESSION_ID,
        ...(imageTag ? { image: imageTag } : {}),
        env: buildSandboxEnv({ hostEnv: process.env, envAllowlist: [], path: '/usr/bin:/bin' }),
        mounts: [
          ...buildMounts({
            projectRoot: w.root,
            groupFolder: 'family',
            isMain: false,
            sessionId: SESSION_ID,
            providerHomeDir: PROVIDER_HOME,
          }),
          ...(app ? [runnerAppMount(app)] : []),
        ],
        network: 'none',
        limits: { memoryMb: 512, cpus: 1, pids: 256 },
        user: { uid: 1000, gid: 1000 },
      });

      // The identity is bound here, by the host, at spawn: nothing the agent sends can change it.
      const handle = w.actions.forRun(
        createActionContext({ groupId: w.family.id, runId: `cross-group-${name}`, chat: FAMILY_CHAT }),
      );
      const received: unknown[] = [];
      const answered: AgentActionResult[] = [];
      const sandbox = await createSandboxConnection({
        runtime: makeRuntime(),
        spec,
        logger: captureLogger(),
        onAction: async (action) => {
          received.push(action);
          const result = await handle(action);
          answered.push(result);
          return result;
        },
      });

      const attempts = attemptsFor(w);
      const lines: string[] = [];
      let blocked = 0;
      try {
        await sandbox.startSession({ provider: 'mock', cwd: '/workspace/group', turnTimeoutMs: 30_000 });
        for (const attempt of attempts) {
          const before = await hostState(w);
          const reachedHostBefore = received.length;
          const turn = await toolTurn(sandbox, attempt.tool, attempt.args);
          const seen = turn.result;
          const output = seen?.output ?? '(no tool result)';
          const replyLine = `nanoclaw.${attempt.tool}${seen?.isError ? ' failed' : ''}: ${output}`;
          const reachedHost = received.length - reachedHostBefore;
          const unchanged = (await hostState(w)) === before;
          let refusedToAgent: boolean;
          if (attempt.expect.kind === 'own-only') {
            const listed = seen && !seen.isError ? (JSON.parse(seen.output) as { tasks: TaskView[] }) : null;
            refusedToAgent =
              listed !== null &&
              listed.tasks.length > 0 &&
              listed.tasks.every((t) => t.folder === 'family') &&
              listed.tasks.some((t) => t.id === w.familyTask.id) &&
              !seen?.output.includes(w.workTask.id);
          } else {
            refusedToAgent = seen?.isError === true && attempt.expect.error.test(output);
            if (attempt.expect.kind === 'schema') refusedToAgent &&= reachedHost === 0;
          }
          // The agent's final reply carries the tool's output (provider-mock's directive script).
          const inReply = turn.finalText.includes(replyLine);
          const ok = refusedToAgent && unchanged && inReply;
          if (ok) blocked += 1;
          lines.push(
            `  ${ok ? 'blocked' : 'NOT BLOCKED'}  ${attempt.label} [host calls: ${reachedHost}] -> ${replyLine}`,
          );
        }
        console.log(
          [`[cross-group attempts: ${name}] ${attempts.length} attempts, ${blocked} blocked`, ...lines].join(
            '\n',
          ),
        );

        expect(blocked, lines.join('\n')).toBe(attempts.length);

        // Host state: unchanged by each attempt (above), and in detail here.
        expect(await w.outbox.list()).toEqual([]);
        const tasks = await w.scheduler.listTasks({});
        expect(tasks.map((t) => t.id).sort()).toEqual([w.workTask.id, w.familyTask.id].sort());
        expect(await w.scheduler.listTasks({ groupId: w.work.id })).toEqual([w.workTask]);
        expect(await w.scheduler.listTasks({ groupId: w.main.id })).toEqual([]);
        expect((await w.registry.list()).map((g) => g.folder).sort()).toEqual(['family', 'main', 'work']);
        expect((await w.registry.findBinding(WORK_CHAT))?.groupId).toBe(w.work.id);
        // The schema refusals never left the sandbox; everything that did was answered with an error, except
        // list_tasks.
        expect(
          received.some((a) => typeof a === 'object' && a !== null && ('groupId' in a || 'group' in a)),
        ).toBe(false);
        expect(answered.filter((r) => r.ok)).toHaveLength(1);

        // The control: the same sandbox, the same connection, its own chat.
        const control = await toolTurn(sandbox, 'send_message', { text: 'hello family' });
        expect(control.result?.isError, control.result?.output).toBe(false);
        expect(control.finalText).toContain('nanoclaw.send_message: ');
        expect(JSON.parse(control.result?.output ?? 'null')).toMatchObject({
          chat: formatChatRef(FAMILY_CHAT),
          queued: true,
          duplicate: false,
        });
        const rows = await w.outbox.list();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          groupId: w.family.id,
          message: { channel: 'local', accountId: 'default', chatId: 'family', text: 'hello family' },
        });
      } finally {
        await sandbox.close();
      }
      console.log(`[cross-group attempts: ${name}] done in ${Date.now() - started} ms`);
    }, 180_000);
  });
}

crossGroupSuite('bwrap', bwrapAvailability, testBwrapRuntime);
crossGroupSuite('docker', dockerAvailability, testDockerRuntime, async () => {
  // The registry-free image with the runner bundle inside, as CI and offline machines build it.
  await buildScratchImage(RUNNER_IMAGE, RUNNER_DIST);
  return RUNNER_IMAGE;
});
