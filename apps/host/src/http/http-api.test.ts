import http from 'node:http';
import net from 'node:net';
import { silentLogger as silent, type TaskRunLog } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type GroupView, HostApiError, type Readiness, type TaskView } from '../host-api.js';
import { PeopleError, type PeopleErrorCode } from '../people/index.js';
import { createHttpApi, createTokenCheck } from './http-api.js';
import { createFakeHostApi, fakeApproval } from './test-utils.js';

const TOKEN = 'test-token-0123456789abcdef';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: { heartbeatMs?: number; bodyLimitBytes?: number } = {}) {
  const api = createFakeHostApi();
  const httpApi = createHttpApi({ api, token: TOKEN, logger: silent, port: 0, ...options });
  const url = await httpApi.listen();
  cleanups.push(() => httpApi.close());
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return { api, httpApi, url, call };
}

/** Reads an SSE stream raw; `chunks` grows as data arrives. */
function openStream(url: string, path: string, token = TOKEN) {
  const chunks: string[] = [];
  return new Promise<{ res: http.IncomingMessage; text: () => string; close: () => void }>(
    (resolve, reject) => {
      const req = http.get(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => chunks.push(chunk));
        res.on('error', () => {});
        resolve({ res, text: () => chunks.join(''), close: () => req.destroy() });
      });
      req.on('error', reject);
    },
  );
}

/** A JSON body, read as the shape the test expects. */
async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('health and auth', () => {
  it('answers /healthz without a token', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses a missing or wrong token with a clear JSON 401', async () => {
    const { url, call } = await start();
    const missing = await fetch(`${url}/api/v1/status`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await missing.json()).toMatchObject({
      code: 'unauthorized',
      error: expect.stringContaining('api-token'),
    });
    const wrong = await call('GET', '/api/v1/status', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const unknownRoute = await fetch(`${url}/nothing-here`);
    expect(unknownRoute.status).toBe(401);
  });

  it('compares tokens exactly', () => {
    const check = createTokenCheck(TOKEN);
    expect(check(`Bearer ${TOKEN}`)).toBe(true);
    expect(check(`bearer ${TOKEN}`)).toBe(true);
    expect(check(`Bearer ${TOKEN}x`)).toBe(false);
    expect(check(TOKEN)).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(check('Bearer ')).toBe(false);
  });

  it('reports readiness with 200 or 503', async () => {
    const { api, call } = await start();
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect((await json<Readiness>(ready)).checks.map((c) => c.name)).toEqual([
      'database',
      'runtime',
      'channels',
    ]);
    api.readiness = async () => ({
      ready: false,
      checks: [{ name: 'runtime', ok: false, detail: 'docker is down' }],
    });
    const notReady = await call('GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false });
  });
});

describe('messages', () => {
  it('posts a message and answers 202 with its id', async () => {
    const { api, call } = await start();
    const res = await call('POST', '/api/v1/groups/main/messages', { text: 'hello', sender: 'me' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ messageId: 'msg-1', willReply: true });
    expect(api.posted).toEqual([{ folder: 'main', text: 'hello', sender: 'me', messageId: 'msg-1' }]);
  });

  it('names the bad field, the bad JSON and the unknown group', async () => {
    const { call } = await start();
    const missing = await call('POST', '/api/v1/groups/main/messages', { sender: 'me' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ field: 'text', error: 'invalid body: text: is required' });
    const extra = await call('POST', '/api/v1/groups/main/messages', { text: 'x', colour: 'red' });
    expect(await extra.json()).toMatchObject({ field: 'colour' });
    const badJson = await call('POST', '/api/v1/groups/main/messages', '{"text": ');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 'invalid-json' });
    const notObject = await call('POST', '/api/v1/groups/main/messages', '[1]');
    expect(notObject.status).toBe(400);
    const badFolder = await call('POST', '/api/v1/groups/..%2Fetc/messages', { text: 'x' });
    expect(badFolder.status).toBe(400);
    expect(await badFolder.json()).toMatchObject({ field: 'folder' });
    const unknown = await call('POST', '/api/v1/groups/nobody/messages', { text: 'x' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 'not-found', error: 'no group "nobody"' });
  });

  it('refuses a body over the size cap with 413 and keeps serving', async () => {
    const { call } = await start({ bodyLimitBytes: 1024 });
    const res = await call('POST', '/api/v1/groups/main/messages', { text: 'x'.repeat(5_000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'body-too-large' });
    expect((await call('POST', '/api/v1/groups/main/messages', { text: 'small' })).status).toBe(202);
  });

  it('refuses a 1 MB + 1 body by default, naming the limits', async () => {
    const { call } = await start();
    const res = await call('POST', '/api/v1/groups/main/messages', { text: 'x'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      code: 'body-too-large',
      error:
        "the body is larger than the API's limit of 1,048,576 bytes (a message's text may be at most 100,000 characters)",
    });
  });

  it('takes a message of 100,000 characters and refuses one more, naming the limit', async () => {
    const { api, call } = await start();
    expect((await call('POST', '/api/v1/groups/main/messages', { text: 'x'.repeat(100_000) })).status).toBe(
      202,
    );
    expect(api.posted.at(-1)?.text.length).toBe(100_000);
    const res = await call('POST', '/api/v1/groups/main/messages', { text: 'x'.repeat(100_001) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'invalid',
      field: 'text',
      error: 'invalid body: text: must be at most 100,000 characters (got 100,001)',
    });
  });

  it('refuses a body that is not valid UTF-8 instead of storing U+FFFD', async () => {
    const { api, url } = await start();
    const bytes = Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await fetch(`${url}/api/v1/groups/main/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid-encoding' });
    expect(api.posted).toEqual([]);
  });

  it('refuses a body that is not JSON', async () => {
    const { call } = await start();
    const res = await call('POST', '/api/v1/groups/main/messages', 'text=hi', {
      'content-type': 'text/plain',
    });
    expect(res.status).toBe(415);
  });
});

describe('errors', () => {
  it('maps HostApiError codes to statuses', async () => {
    const { api, call } = await start();
    const codes = ['not-found', 'invalid', 'forbidden', 'conflict', 'unavailable'] as const;
    const statuses: number[] = [];
    for (const code of codes) {
      api.status = async () => {
        throw new HostApiError(code, `it is ${code}`);
      };
      const res = await call('GET', '/api/v1/status');
      statuses.push(res.status);
      expect(await res.json()).toEqual({ code, error: `it is ${code}` });
    }
    expect(statuses).toEqual([404, 400, 403, 409, 503]);
  });

  it('answers 500 without details on an unexpected error, and keeps serving', async () => {
    const { api, call } = await start();
    api.listGroups = async () => {
      throw new Error('secret internals at /home/x/db.ts:12');
    };
    const res = await call('GET', '/api/v1/groups');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toEqual({ code: 'internal', error: 'internal error (see the host log)' });
    expect((await call('GET', '/api/v1/status')).status).toBe(200);
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const { call } = await start();
    const unknown = await call('GET', '/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'not-found' });
    const wrongMethod = await call('PUT', '/api/v1/groups');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('survives a malformed request line', async () => {
    const { url, call } = await start();
    const { port } = new URL(url);
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
    });
    expect(reply).toContain('400');
    expect((await call('GET', '/api/v1/status')).status).toBe(200);
  });
});

describe('groups, tasks and runs', () => {
  it('lists, adds and removes groups', async () => {
    const { call } = await start();
    const list = await call('GET', '/api/v1/groups');
    expect((await json<{ groups: GroupView[] }>(list)).groups.map((g) => g.folder)).toEqual([
      'main',
      'family',
    ]);
    const added = await call('POST', '/api/v1/groups', {
      folder: 'work',
      name: 'Work',
      provider: 'codex',
      chat: { channel: 'telegram', chatId: '-100' },
    });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ folder: 'work', provider: { id: 'codex', source: 'group' } });
    expect((await call('POST', '/api/v1/groups', { folder: 'work' })).status).toBe(409);
    const badProvider = await call('POST', '/api/v1/groups', { folder: 'x', provider: 'Not Valid' });
    expect(await badProvider.json()).toMatchObject({ field: 'provider' });
    const removed = await call('DELETE', '/api/v1/groups/work');
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ folder: 'work', path: '/srv/nanoclaw/groups/work' });
    expect((await call('DELETE', '/api/v1/groups/main')).status).toBe(403);
    expect((await call('DELETE', '/api/v1/groups/work')).status).toBe(404);
  });

  it('adds, lists, pauses, resumes and cancels tasks', async () => {
    const { call } = await start();
    const added = await call('POST', '/api/v1/tasks', {
      folder: 'main',
      prompt: 'summarise the news',
      schedule: { kind: 'cron', expression: '0 9 * * *' },
      timezone: 'Europe/London',
    });
    expect(added.status).toBe(201);
    const task = await json<TaskView>(added);
    const status = async (res: Promise<Response>) => (await json<TaskView>(await res)).status;
    const count = async (res: Promise<Response>) =>
      (await json<{ tasks: TaskView[] }>(await res)).tasks.length;
    expect(task).toMatchObject({ id: 'task-1', status: 'active', timezone: 'Europe/London' });
    expect(await status(call('POST', `/api/v1/tasks/${task.id}/pause`))).toBe('paused');
    expect(await status(call('POST', `/api/v1/tasks/${task.id}/resume`))).toBe('active');
    expect(await count(call('GET', '/api/v1/tasks?group=main&status=active'))).toBe(1);
    expect(await count(call('GET', '/api/v1/tasks?group=family'))).toBe(0);
    expect(await status(call('POST', `/api/v1/tasks/${task.id}/cancel`))).toBe('cancelled');
    expect((await call('POST', '/api/v1/tasks/nope/cancel')).status).toBe(404);
  });

  it('names the bad schedule field and the bad query', async () => {
    const { call } = await start();
    const badSchedule = await call('POST', '/api/v1/tasks', {
      folder: 'main',
      prompt: 'x',
      schedule: { kind: 'interval', everyMs: 'soon' },
    });
    expect(badSchedule.status).toBe(400);
    expect(await badSchedule.json()).toMatchObject({ field: 'schedule.everyMs' });
    const badZone = await call('POST', '/api/v1/tasks', {
      folder: 'main',
      prompt: 'x',
      schedule: { kind: 'once', at: '2030-01-01T00:00' },
      timezone: 'Mars/Olympus',
    });
    expect(await badZone.json()).toMatchObject({ field: 'timezone' });
    const badStatus = await call('GET', '/api/v1/tasks?status=sleeping');
    expect(await badStatus.json()).toMatchObject({ field: 'status' });
    const badLimit = await call('GET', '/api/v1/runs?limit=0');
    expect(await badLimit.json()).toMatchObject({ field: 'limit' });
  });

  it('lists runs with a filter', async () => {
    const { api, call } = await start();
    const run = {
      id: 'run-1',
      taskId: 'task-9',
      scheduledFor: 1,
      startedAt: 2,
      finishedAt: 3,
      status: 'succeeded' as const,
      late: false,
      durationMs: 1,
      resultSummary: 'done',
      error: null,
    };
    api.runs.push(run, { ...run, id: 'run-2', taskId: 'task-8' });
    const res = await call('GET', '/api/v1/runs?task=task-9&limit=5');
    expect((await json<{ runs: TaskRunLog[] }>(res)).runs).toEqual([run]);
    // The dashboard's spelling: each run with its status, times, duration, result and error.
    const byTaskId = await call('GET', '/api/v1/runs?taskId=task-8');
    expect((await json<{ runs: TaskRunLog[] }>(byTaskId)).runs).toEqual([
      { ...run, id: 'run-2', taskId: 'task-8' },
    ]);
  });
});

describe('usage, group settings, sandboxes, messages and task dry runs', () => {
  it('lists usage per day, group and provider, filtered by folder and checked', async () => {
    const { api, call } = await start();
    const row = {
      day: '2026-12-07',
      provider: 'mock',
      inputTokens: 12,
      cachedInputTokens: 0,
      outputTokens: 34,
    };
    api.usage.push({ ...row, folder: 'main' }, { ...row, folder: 'family' });
    expect(await json(await call('GET', '/api/v1/usage?days=30&folder=main'))).toEqual({
      usage: [{ ...row, folder: 'main' }],
    });
    expect(await (await call('GET', '/api/v1/usage?days=0')).json()).toMatchObject({ field: 'days' });
    expect(await (await call('GET', '/api/v1/usage?folder=../x')).json()).toMatchObject({ field: 'folder' });
  });

  it('reads and replaces a group’s settings, naming the key that is wrong', async () => {
    const { call } = await start();
    expect(await json(await call('GET', '/api/v1/groups/main/config'))).toEqual({
      folder: 'main',
      config: {},
      error: null,
    });
    const put = await call('PUT', '/api/v1/groups/main/config', { model: 'gpt-5' });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ folder: 'main', config: { model: 'gpt-5' }, error: null });
    const bad = await call('PUT', '/api/v1/groups/main/config', { badKey: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid', field: 'badKey' });
    expect((await call('GET', '/api/v1/groups/nobody/config')).status).toBe(404);
  });

  it('lists sandboxes and kills one by id (404 for an unknown id)', async () => {
    const { api, call } = await start();
    const sandbox = {
      id: 'sb-1',
      folder: 'main',
      session: 'main',
      provider: 'mock',
      runtime: 'bwrap',
      state: 'idle' as const,
      startedAt: 1,
      lastActiveAt: 2,
    };
    api.sandboxes.push(sandbox);
    expect(await json(await call('GET', '/api/v1/sandboxes'))).toEqual({ sandboxes: [sandbox] });
    expect(await json(await call('POST', '/api/v1/sandboxes/sb-1/kill'))).toEqual({
      id: 'sb-1',
      killed: true,
    });
    const again = await call('POST', '/api/v1/sandboxes/sb-1/kill');
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'not-found' });
  });

  it('lists a group’s messages, the last `limit` of them', async () => {
    const { api, call } = await start();
    const message = (id: string, at: number) => ({
      id,
      chat: 'local:default:main',
      sender: 'user',
      senderName: 'local user',
      text: id,
      at,
      fromAgent: false,
    });
    api.messages.set('main', [message('in-1', 1), message('in-2', 2), message('in-3', 3)]);
    const res = await json<{ messages: Array<{ id: string }> }>(
      await call('GET', '/api/v1/groups/main/messages?limit=2'),
    );
    expect(res.messages.map((m) => m.id)).toEqual(['in-2', 'in-3']);
    expect(await (await call('GET', '/api/v1/groups/main/messages?limit=501')).json()).toMatchObject({
      field: 'limit',
    });
  });

  it('shows a task with ?dryRun=1 without adding it, and names the bad cron field', async () => {
    const { api, call } = await start();
    const body = { folder: 'main', prompt: 'p', schedule: { kind: 'cron', expression: '0 9 * * *' } };
    const preview = await call('POST', '/api/v1/tasks?dryRun=1', body);
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({
      id: '',
      nextRuns: [expect.any(Number), expect.any(Number), expect.any(Number)],
    });
    expect(api.tasks).toEqual([]);
    const bad = await call('POST', '/api/v1/tasks?dryRun=1', {
      ...body,
      schedule: { kind: 'cron', expression: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid', field: 'schedule.expression' });
    expect((await call('POST', '/api/v1/tasks?dryRun=maybe', body)).status).toBe(400);
    expect((await call('POST', '/api/v1/tasks?dryRun=0', body)).status).toBe(201);
  });
});

describe('event streams', () => {
  it('streams a group’s events as SSE and only that group’s', async () => {
    const { api, url } = await start();
    const stream = await openStream(url, '/api/v1/groups/main/events');
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toContain('text/event-stream');
    api.bus.publish({
      type: 'reply',
      folder: 'family',
      text: 'not for main',
      inReplyTo: [],
      chat: 'local:default:family',
    });
    api.bus.publish({
      type: 'reply',
      folder: 'main',
      text: 'hi',
      inReplyTo: ['msg-1'],
      chat: 'local:default:main',
    });
    await until(() => stream.text().includes('event: reply'));
    expect(stream.text()).toContain(
      'event: reply\ndata: {"type":"reply","folder":"main","text":"hi","inReplyTo":["msg-1"],"chat":"local:default:main"}\n\n',
    );
    expect(stream.text()).not.toContain('not for main');
    stream.close();
  });

  it('streams every group on /api/v1/events', async () => {
    const { api, url } = await start();
    const stream = await openStream(url, '/api/v1/events');
    api.bus.publish({ type: 'run-start', folder: 'family', runId: 'r1', inReplyTo: [] });
    api.bus.publish({ type: 'run-end', folder: 'main', runId: 'r2', status: 'succeeded' });
    await until(() => stream.text().includes('event: run-end'));
    expect(stream.text()).toContain('event: run-start');
    stream.close();
  });

  it('sends heartbeats and unsubscribes when the client goes away', async () => {
    const { api, url } = await start({ heartbeatMs: 20 });
    const stream = await openStream(url, '/api/v1/groups/main/events');
    expect(api.bus.listenerCount('main')).toBe(1);
    await until(() => stream.text().includes(': heartbeat'));
    stream.close();
    await until(() => api.bus.listenerCount() === 0);
  });

  it('answers 404 for the events of an unknown group and 401 without a token', async () => {
    const { url, call } = await start();
    expect((await call('GET', '/api/v1/groups/nobody/events')).status).toBe(404);
    const stream = await openStream(url, '/api/v1/events', 'wrong-token');
    expect(stream.res.statusCode).toBe(401);
    stream.close();
  });

  it('ends open streams on close', async () => {
    const { api, httpApi, url } = await start();
    const stream = await openStream(url, '/api/v1/events');
    const ended = new Promise<void>((resolve) => stream.res.on('close', () => resolve()));
    await httpApi.close();
    await ended;
    expect(api.bus.listenerCount()).toBe(0);
  });
});

describe('users, access, approvals and audit', () => {
  const owner = { userId: 'telegram:1', role: 'owner' };

  it('maps PeopleError codes to the same statuses as HostApiError', async () => {
    const { api, call } = await start();
    const statuses: number[] = [];
    for (const code of ['not-found', 'invalid', 'forbidden', 'conflict'] as PeopleErrorCode[]) {
      api.listUsers = async () => {
        throw new PeopleError(code, `it is ${code}`);
      };
      const res = await call('GET', '/api/v1/users');
      statuses.push(res.status);
      expect(await res.json()).toEqual({ code, error: `it is ${code}` });
    }
    expect(statuses).toEqual([404, 400, 403, 409]);
  });

  it('adds, lists, links and removes users, recording the actor the request names', async () => {
    const { api, call } = await start();
    const added = await call(
      'POST',
      '/api/v1/users',
      { ...owner, name: 'Ann' },
      { 'x-nanoclaw-actor': 'cli' },
    );
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ id: 'telegram:1', name: 'Ann', roles: [{ role: 'owner' }] });
    const listed = await json<{ users: Array<{ id: string }> }>(await call('GET', '/api/v1/users'));
    expect(listed.users.map((user) => user.id)).toEqual(['telegram:1']);
    const linked = await call('POST', '/api/v1/users/link', { a: 'telegram:1', b: 'slack:U1' });
    expect((await json<{ users: unknown[] }>(linked)).users).toHaveLength(2);
    const removed = await call('DELETE', '/api/v1/users/telegram%3A1?role=owner');
    expect(await removed.json()).toEqual({ userId: 'telegram:1', removed: 1 });
    expect((await call('DELETE', '/api/v1/users/telegram%3A9')).status).toBe(404);
    expect(api.actors).toEqual(['cli', 'api', 'api']);
    const badActor = await call('GET', '/api/v1/users', undefined, { 'x-nanoclaw-actor': 'root' });
    expect(badActor.status).toBe(200);
    const refused = await call('POST', '/api/v1/users', owner, { 'x-nanoclaw-actor': 'root' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: 'x-nanoclaw-actor' });
  });

  it('names the bad field of a user request', async () => {
    const { call } = await start();
    const field = async (res: Promise<Response>) => {
      const answer = await res;
      expect(answer.status).toBe(400);
      return (await json<{ field?: string; error: string }>(answer)).field;
    };
    expect(await field(call('POST', '/api/v1/users', { userId: '12345', role: 'owner' }))).toBe('userId');
    expect(await field(call('POST', '/api/v1/users', { userId: 'telegram:1', role: 'king' }))).toBe('role');
    expect(await field(call('POST', '/api/v1/users', { userId: 'telegram:1' }))).toBe('role');
    expect(await field(call('POST', '/api/v1/users', { ...owner, colour: 'red' }))).toBe('colour');
    expect(await field(call('POST', '/api/v1/users/link', { a: 'telegram:1' }))).toBe('b');
    expect(await field(call('DELETE', '/api/v1/users/telegram%3A1?role=god'))).toBe('role');
    expect(await field(call('DELETE', '/api/v1/users/nobody'))).toBe('userId');
    const notAnId = await call('POST', '/api/v1/users', { userId: 'telegram', role: 'owner' });
    expect((await json<{ error: string }>(notAnId)).error).toBe(
      'invalid body: userId: "telegram" is not a user id: use <platform>:<id>, e.g. telegram:12345 or slack:U024BE7LH',
    );
  });

  it('sets a group’s access, refusing `request` while no owner is set', async () => {
    const { call } = await start();
    const refused = await call('PATCH', '/api/v1/groups/family', { access: 'request' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      code: 'conflict',
      error:
        'no owner is set: an access request needs someone to approve it. Add one first: nanoclaw users add <platform:id> --role owner',
    });
    await call('POST', '/api/v1/users', owner);
    const set = await call('PATCH', '/api/v1/groups/family', { access: 'request' });
    expect(await set.json()).toMatchObject({ folder: 'family', access: 'request' });
    expect(await (await call('PATCH', '/api/v1/groups/family', { access: 'open' })).json()).toMatchObject({
      field: 'access',
      error: 'invalid body: access: must be one of public, members, request',
    });
    expect((await call('PATCH', '/api/v1/groups/nobody', { access: 'members' })).status).toBe(404);
    expect((await call('PATCH', '/api/v1/groups/family', {})).status).toBe(400);
  });

  it('lists, shows and decides approvals: 404 unknown, 409 already decided, 400 a bad option', async () => {
    const { api, call } = await start();
    api.approvals.push(
      fakeApproval('req1'),
      fakeApproval('ask1', {
        kind: 'question',
        question: '❓ Deploy?',
        options: ['Yes', 'No'],
        subject: null,
      }),
    );
    const list = async (query: string) =>
      (await json<{ approvals: Array<{ id: string }> }>(await call('GET', `/api/v1/approvals${query}`)))
        .approvals;
    expect((await list('?status=pending&group=family')).map((a) => a.id)).toEqual(['req1', 'ask1']);
    expect(await (await call('GET', '/api/v1/approvals?status=open')).json()).toMatchObject({
      field: 'status',
    });
    expect((await call('GET', '/api/v1/approvals/req1')).status).toBe(200);
    expect((await call('GET', '/api/v1/approvals/nope')).status).toBe(404);
    const approved = await call('POST', '/api/v1/approvals/req1/approve', undefined, {
      'x-nanoclaw-actor': 'cli',
    });
    expect(await approved.json()).toMatchObject({ status: 'approved', decidedBy: 'cli' });
    const again = await call('POST', '/api/v1/approvals/req1/reject');
    expect(again.status).toBe(409);
    expect((await json<{ error: string }>(again)).error).toMatch(/already approved by cli at/);
    expect((await call('POST', '/api/v1/approvals/ask1/approve')).status).toBe(400);
    expect(
      await (await call('POST', '/api/v1/approvals/ask1/answer', { option: 'yes' })).json(),
    ).toMatchObject({
      field: 'option',
    });
    const answered = await call('POST', '/api/v1/approvals/ask1/answer', { option: 2 });
    expect(await answered.json()).toMatchObject({ status: 'answered', decision: 'No', decidedBy: 'api' });
    expect(await list('?status=pending')).toEqual([]);
  });

  it('reads the audit log with a group, a time (ISO or epoch ms) and a limit', async () => {
    const { api, call } = await start();
    const entry = {
      kind: 'role' as const,
      action: 'granted',
      actor: 'cli',
      subject: 'telegram:1',
      detail: {},
    };
    api.audit.push(
      { ...entry, id: 2, at: Date.UTC(2030, 0, 2), group: 'family' },
      { ...entry, id: 1, at: Date.UTC(2030, 0, 1), group: null },
    );
    const ids = async (query: string) =>
      (
        await json<{ entries: Array<{ id: number }> }>(await call('GET', `/api/v1/audit${query}`))
      ).entries.map((e) => e.id);
    expect(await ids('')).toEqual([2, 1]);
    expect(await ids('?group=family')).toEqual([2]);
    expect(await ids('?since=2030-01-01T12:00Z')).toEqual([2]);
    expect(await ids(`?since=${Date.UTC(2030, 0, 1)}`)).toEqual([2, 1]);
    expect(await ids('?limit=1')).toEqual([2]);
    expect(await (await call('GET', '/api/v1/audit?since=yesterday')).json()).toMatchObject({
      field: 'since',
      error: 'invalid query: since: must be an ISO 8601 time or epoch milliseconds',
    });
    expect(await (await call('GET', '/api/v1/audit?limit=5001')).json()).toMatchObject({ field: 'limit' });
    expect((await call('GET', '/api/v1/audit?group=nobody')).status).toBe(404);
  });
});

describe('listen', () => {
  it('says the port is taken and what to do', async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const second = createHttpApi({ api: createFakeHostApi(), token: TOKEN, logger: silent, port });
    await expect(second.listen()).rejects.toThrow(/port \d+ is taken.*NANOCLAW_HTTP_PORT/);
    await second.close();
  });
});
