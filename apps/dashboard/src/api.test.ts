import { describe, expect, it, vi } from 'vitest';
import { ApiError, CSRF_HEADER, createApiClient, type FetchLike } from './api.js';

interface Call {
  url: string;
  init: RequestInit;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fetch that answers from `routes` (`METHOD path` → response) and records every call. */
function fakeFetch(routes: Record<string, () => Response>) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init = {}) => {
    calls.push({ url, init });
    const answer = routes[`${init.method ?? 'GET'} ${url}`];
    if (!answer) return json(404, { error: `no route ${url}`, code: 'not-found' });
    return answer();
  };
  return { fetch, calls };
}

const headersOf = (call: Call | undefined) => (call?.init.headers ?? {}) as Record<string, string>;

describe('the API client', () => {
  it('reads the CSRF token from /auth/session and sends it on every state-changing request only', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /auth/session': () => json(200, { csrfToken: 'tok-1' }),
      'GET /api/v1/status': () => json(200, { groups: [] }),
      'POST /api/v1/groups/main/messages': () => json(202, { messageId: 'm1', willReply: true }),
      'PUT /api/v1/groups/main/config': () => json(200, { folder: 'main', config: {}, error: null }),
    });
    const api = createApiClient({ fetch });
    expect(await api.session()).toEqual({ csrfToken: 'tok-1' });
    await api.status();
    expect(await api.postMessage('main', 'hello')).toEqual({ messageId: 'm1', willReply: true });
    await api.putConfig('main', { skills: 'all' });
    for (const call of calls) expect(call.init.credentials).toBe('same-origin');
    expect(headersOf(calls[1])[CSRF_HEADER]).toBeUndefined();
    expect(headersOf(calls[2])[CSRF_HEADER]).toBe('tok-1');
    expect(headersOf(calls[2])['content-type']).toBe('application/json');
    expect(calls[2]?.init.body).toBe('{"text":"hello"}');
    expect(headersOf(calls[3])[CSRF_HEADER]).toBe('tok-1');
  });

  it('after a sign-in elsewhere replaced the session, takes the new CSRF token and retries once', async () => {
    const tokens = ['old', 'new'];
    const { fetch, calls } = fakeFetch({
      'GET /auth/session': () => json(200, { csrfToken: tokens.shift() }),
      'POST /api/v1/sandboxes/sb-1/kill': () =>
        headersOf(calls.at(-1))[CSRF_HEADER] === 'new'
          ? json(200, { id: 'sb-1', killed: true })
          : json(403, { error: 'CSRF token missing or wrong', code: 'csrf' }),
    });
    const api = createApiClient({ fetch });
    await api.session();
    expect(await api.killSandbox('sb-1')).toEqual({ id: 'sb-1', killed: true });
    expect(calls.map((call) => `${call.init.method ?? 'GET'} ${call.url}`)).toEqual([
      'GET /auth/session',
      'POST /api/v1/sandboxes/sb-1/kill',
      'GET /auth/session',
      'POST /api/v1/sandboxes/sb-1/kill',
    ]);
    const refused = fakeFetch({
      'GET /auth/session': () => json(200, { csrfToken: 'x' }),
      'POST /api/v1/sandboxes/sb-1/kill': () => json(403, { error: 'cross-origin', code: 'csrf' }),
    });
    const once = createApiClient({ fetch: refused.fetch });
    await expect(once.killSandbox('sb-1')).rejects.toMatchObject({ status: 403, code: 'csrf' });
    expect(refused.calls).toHaveLength(3);
  });

  it('says "not signed in" (null) on a 401 from /auth/session', async () => {
    const { fetch } = fakeFetch({
      'GET /auth/session': () => json(401, { error: 'no session', code: 'unauthorized' }),
    });
    expect(await createApiClient({ fetch }).session()).toBeNull();
  });

  it('calls onUnauthorized on a 401 from the API and throws the host message', async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch({
      'GET /api/v1/status': () => json(401, { error: 'sign in', code: 'unauthorized' }),
    });
    const api = createApiClient({ fetch, onUnauthorized });
    await expect(api.status()).rejects.toMatchObject({
      status: 401,
      message: 'sign in',
      code: 'unauthorized',
    });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('keeps the field of a 400 (validation) error', async () => {
    const { fetch } = fakeFetch({
      'POST /api/v1/tasks?dryRun=1': () =>
        json(400, {
          error: 'invalid body: schedule.expression: bad cron',
          code: 'invalid',
          field: 'schedule.expression',
        }),
    });
    const error = await createApiClient({ fetch })
      .addTask({ folder: 'main', prompt: 'p', schedule: { kind: 'cron', expression: 'x' } }, true)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'invalid', field: 'schedule.expression' });
  });

  it('turns a non-JSON error and a network failure into ApiErrors', async () => {
    const api = createApiClient({
      fetch: async () => new Response('oops', { status: 502, statusText: 'Bad Gateway' }),
    });
    await expect(api.status()).rejects.toMatchObject({
      status: 502,
      message: 'HTTP 502 Bad Gateway',
      code: 'http-502',
    });
    const down = createApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(down.status()).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('builds the paths of the routes it uses (runs by ?task=, approval decisions, encoded segments)', async () => {
    const { fetch, calls } = fakeFetch({});
    const api = createApiClient({ fetch });
    const attempts = [
      api.runs('t 1'),
      api.tasks('fam ily'),
      api.taskAction('abc', 'pause'),
      api.decide('ap1', 'approve'),
      api.decide('ap2', { option: 2 }),
      api.killSandbox('sb/1'),
      api.usage(30),
      api.messages('main', 50),
      api.audit(100),
      api.approvals(),
    ];
    await Promise.allSettled(attempts);
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'GET /api/v1/runs?task=t%201&limit=20',
      'GET /api/v1/tasks?group=fam%20ily',
      'POST /api/v1/tasks/abc/pause',
      'POST /api/v1/approvals/ap1/approve',
      'POST /api/v1/approvals/ap2/answer',
      'POST /api/v1/sandboxes/sb%2F1/kill',
      'GET /api/v1/usage?days=30',
      'GET /api/v1/groups/main/messages?limit=50',
      'GET /api/v1/audit?limit=100',
      'GET /api/v1/approvals?status=pending',
    ]);
    expect(calls[4]?.init.body).toBe('{"option":2}');
    expect(calls[3]?.init.body).toBeUndefined();
  });

  it('forgets the token after logout', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /auth/session': () => json(200, { csrfToken: 'tok' }),
      'POST /auth/logout': () => json(200, {}),
    });
    const api = createApiClient({ fetch });
    await api.session();
    await api.logout();
    expect(headersOf(calls[1])[CSRF_HEADER]).toBe('tok');
    await api.logout();
    expect(headersOf(calls[2])[CSRF_HEADER]).toBeUndefined();
  });
});
