import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStream, HostClient } from '../cli/index.js';
import type { HostEvent } from '../host-api.js';
import { readApiToken } from '../http/index.js';
import type { RunningHost } from '../start-host.js';
import { ask, startTestHost, until } from './test-utils/e2e-host.js';
import { toolCallSummary } from './worker.js';

/**
 * What the dashboard reads, from the real host with the mock agent in the process runtime: live events, the
 * groups' sandboxes and last errors, usage, settings, message history, task previews, killing a sandbox.
 */
describe('the dashboard’s view of a running host', { timeout: 60_000 }, () => {
  let root: string;
  let host: RunningHost;
  let client: HostClient;
  let stream: EventStream;
  const events: HostEvent[] = [];

  /** A raw API call with the token (for the error body's `field`). */
  const call = async (method: string, route: string, body?: unknown) =>
    fetch(`${host.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${readApiToken(path.join(root, 'data'))}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const mainSandboxes = async () => (await client.listSandboxes()).filter((s) => s.folder === 'main');

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-dashboard-api-'));
    ({ host, client } = await startTestHost(root, createProcessRuntime({ unsafeAllowNoIsolation: true })));
    stream = await client.openEvents('*', (event) => events.push(event));
  }, 60_000);

  afterAll(async () => {
    stream?.close();
    await host?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('shows a turn live: queue, sandbox and tool-call events; records its usage; status shows the sandbox', async () => {
    events.length = 0;
    const { outcome } = await ask(client, 'main', '/usage 12 34\n/exec ["echo", "hi"]');
    expect(outcome.kind).toBe('reply');
    const sandboxStates = () => events.flatMap((e) => (e.type === 'sandbox' ? [e.state] : []));
    await until(() => sandboxStates().length >= 4);
    const start = events.find((e) => e.type === 'run-start');
    expect(events).toContainEqual({
      type: 'tool-call',
      folder: 'main',
      runId: start?.type === 'run-start' ? start.runId : '',
      name: 'exec',
      kind: 'command',
      summary: 'echo hi',
    });
    expect(sandboxStates().slice(0, 4)).toEqual(['starting', 'idle', 'busy', 'idle']);
    expect(events.some((e) => e.type === 'queue' && e.folder === 'main' && e.running === 1)).toBe(true);
    await until(() => events.some((e) => e.type === 'queue' && e.running === 0));
    const usage = await client.listUsage({ days: 1, folder: 'main' });
    expect(usage).toEqual([
      {
        day: new Date().toISOString().slice(0, 10),
        folder: 'main',
        provider: 'mock',
        inputTokens: 12,
        cachedInputTokens: 0,
        outputTokens: 34,
      },
    ]);
    const status = await client.status();
    expect(status.groups.find((g) => g.folder === 'main')).toMatchObject({
      sandbox: 'idle',
      lastError: null,
    });
    expect(await mainSandboxes()).toEqual([
      {
        id: expect.stringMatching(/^sb-[0-9a-f]{12}$/),
        folder: 'main',
        session: 'main',
        provider: 'mock',
        runtime: 'process',
        state: 'idle',
        startedAt: expect.any(Number),
        lastActiveAt: expect.any(Number),
      },
    ]);
  });

  it('a killed sandbox: the next message starts a fresh one and is answered', async () => {
    await ask(client, 'main', 'warm up');
    const [before] = await mainSandboxes();
    if (!before) throw new Error('no sandbox of main');
    events.length = 0;
    expect(await client.killSandbox(before.id)).toEqual({ id: before.id, killed: true });
    await until(() =>
      events.some((e) => e.type === 'sandbox' && e.id === before.id && e.state === 'stopped'),
    );
    expect(await mainSandboxes()).toEqual([]);
    expect((await client.status()).groups.find((g) => g.folder === 'main')?.sandbox).toBe('none');
    const { outcome } = await ask(client, 'main', 'are you back?');
    expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: are you back?'] });
    const [after] = await mainSandboxes();
    expect(after?.id).toMatch(/^sb-/);
    expect(after?.id).not.toBe(before.id);
    await expect(client.killSandbox(before.id)).rejects.toThrow(`no sandbox "${before.id}" (HTTP 404)`);
  });

  it('a sandbox killed in the middle of a run: the run is tried again in a fresh one and answered', async () => {
    await ask(client, 'main', 'warm up');
    const [before] = await mainSandboxes();
    events.length = 0;
    const answered = ask(client, 'main', '/sleep 3000\nslow question');
    await until(() => events.some((e) => e.type === 'sandbox' && e.id === before?.id && e.state === 'busy'));
    await client.killSandbox(before?.id ?? '');
    const { outcome } = await answered;
    expect(outcome).toEqual({ kind: 'reply', texts: ['Mock reply to: slow question'] });
    const [after] = await mainSandboxes();
    expect(after?.id).not.toBe(before?.id);
  });

  it('keeps a group’s last error in its status', async () => {
    await ask(client, 'main', '/fail the model is down');
    const main = (await client.status()).groups.find((g) => g.folder === 'main');
    expect(main?.lastError).toEqual({
      message: expect.stringContaining('the model is down'),
      at: expect.any(Number),
    });
  });

  it('lists the conversation both ways, oldest first', async () => {
    await ask(client, 'main', 'remember this');
    const messages = await client.listMessages('main', { limit: 2 });
    expect(messages).toEqual([
      expect.objectContaining({ chat: 'local:default:main', text: 'remember this', fromAgent: false }),
      expect.objectContaining({
        chat: 'local:default:main',
        sender: 'agent',
        senderName: 'Andy',
        text: 'Mock reply to: remember this',
        fromAgent: true,
      }),
    ]);
  });

  it('reads and writes settings with the host’s schema, naming the failing key', async () => {
    await client.addGroup({ folder: 'notes' });
    expect(await client.getGroupConfig('notes')).toEqual({ folder: 'notes', config: {}, error: null });
    const bad = await call('PUT', '/api/v1/groups/notes/config', { mcpServers: { notes: { args: [] } } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'invalid',
      field: expect.stringMatching(/^mcpServers\.notes/),
    });
    const unknown = await call('PUT', '/api/v1/groups/notes/config', { skils: [] });
    expect(await unknown.json()).toMatchObject({ code: 'invalid', field: 'skils' });
    const badTrigger = await call('PUT', '/api/v1/groups/notes/config', { trigger: '(' });
    expect(await badTrigger.json()).toMatchObject({ code: 'invalid', field: 'trigger' });
    expect(fs.existsSync(path.join(root, 'groups', 'notes.container.json'))).toBe(false);
    const written = await client.setGroupConfig('notes', { network: 'none', trigger: '^notes' });
    expect(written).toEqual({ folder: 'notes', config: { network: 'none', trigger: '^notes' }, error: null });
    fs.writeFileSync(path.join(root, 'groups', 'notes.container.json'), '{"provdier": 1}');
    expect(await client.getGroupConfig('notes')).toEqual({
      folder: 'notes',
      config: { provdier: 1 },
      error: expect.stringContaining('provdier'),
    });
  });

  it('publishes task changes, previews a task with its next runs, and names a bad cron field', async () => {
    events.length = 0;
    const input = {
      folder: 'main',
      prompt: 'p',
      schedule: { kind: 'cron' as const, expression: '0 9 * * *' },
    };
    const preview = await client.previewTask(input);
    expect(preview).toMatchObject({ id: '', status: 'active', nextRuns: expect.any(Array) });
    expect(preview.nextRuns).toHaveLength(3);
    expect(preview.nextRuns[0]).toBe(preview.nextRun);
    expect(await client.listTasks()).toEqual([]);
    const bad = await call('POST', '/api/v1/tasks?dryRun=1', {
      ...input,
      schedule: { kind: 'cron', expression: '0 25 * * *' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'invalid',
      field: 'schedule.expression',
      error: expect.stringContaining('is not a valid cron expression'),
    });
    const task = await client.addTask(input);
    await client.taskAction(task.id, 'pause');
    await client.taskAction(task.id, 'resume');
    await client.taskAction(task.id, 'cancel');
    await until(() => events.filter((e) => e.type === 'task').length === 4);
    expect(events.filter((e) => e.type === 'task')).toEqual(
      ['added', 'paused', 'resumed', 'cancelled'].map((change) => ({
        type: 'task',
        folder: 'main',
        taskId: task.id,
        change,
      })),
    );
  });

  it('publishes approvals as they open and are decided', async () => {
    events.length = 0;
    await client.addUser({ userId: 'telegram:1', role: 'owner' });
    await client.addGroup({ folder: 'club' });
    await client.setGroupAccess('club', 'request');
    await client.postMessage('club', { text: '@Andy let me in', sender: 'stranger' });
    await until(() => events.some((e) => e.type === 'approval'));
    const opened = events.find((e) => e.type === 'approval');
    expect(opened).toEqual({ type: 'approval', folder: 'club', id: expect.any(String), status: 'pending' });
    await client.decideApproval(opened?.type === 'approval' ? opened.id : '', 'reject');
    await until(() => events.filter((e) => e.type === 'approval').length === 2);
    expect(events.filter((e) => e.type === 'approval')[1]).toMatchObject({
      folder: 'club',
      status: 'rejected',
    });
  });
});

describe('toolCallSummary', () => {
  it('shows a command as it is and anything else as JSON, on one line of at most 120 characters', () => {
    expect(toolCallSummary({ command: 'ls  -la\n/tmp' })).toBe('ls -la /tmp');
    expect(toolCallSummary({ command: ['echo', 'hi'] })).toBe('echo hi');
    expect(toolCallSummary({ path: 'a.txt' })).toBe('{"path":"a.txt"}');
    expect(toolCallSummary(undefined)).toBe('');
    const long = toolCallSummary({ command: 'x'.repeat(500) });
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});
