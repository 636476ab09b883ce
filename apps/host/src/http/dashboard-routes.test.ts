import http from 'node:http';
import { silentLogger as silent } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardAuth, LOGIN_CODE_TTL_MS } from './dashboard-auth.js';
import { createHttpApi } from './http-api.js';
import { createFakeHostApi } from './test-utils.js';

const TOKEN = 'test-token-0123456789abcdef';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start() {
  let now = Date.now();
  const api = createFakeHostApi();
  const dashboardAuth = createDashboardAuth({ now: () => now });
  const httpApi = createHttpApi({ api, token: TOKEN, logger: silent, port: 0, dashboardAuth });
  const url = await httpApi.listen();
  cleanups.push(() => httpApi.close());
  const bearer = { authorization: `Bearer ${TOKEN}` };
  /** A login link, as `nanoclaw dashboard` gets it. */
  const link = async () => {
    const res = await fetch(`${url}/api/v1/dashboard/links`, { method: 'POST', headers: bearer });
    expect(res.status).toBe(201);
    return (await res.json()) as { url: string; expiresAt: number };
  };
  /** Follows a login link as a browser does; the session cookie and the CSRF token. */
  const signIn = async () => {
    const res = await fetch((await link()).url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const session = await fetch(`${url}/auth/session`, { headers: { cookie } });
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    return { cookie, csrfToken };
  };
  return { api, url, bearer, link, signIn, advance: (ms: number) => (now += ms) };
}

describe('dashboard sign-in', () => {
  it('makes a one-time login link with the API token', async () => {
    const { url, link } = await start();
    const before = Date.now();
    const made = await link();
    expect(made.url).toMatch(new RegExp(`^${url}/auth/login\\?code=[A-Za-z0-9_-]{43}$`));
    expect(made.expiresAt).toBeGreaterThanOrEqual(before + LOGIN_CODE_TTL_MS - 1000);
    expect((await fetch(`${url}/api/v1/dashboard/links`, { method: 'POST' })).status).toBe(401);
  });

  it('signs the browser in once: a session cookie and a redirect to the dashboard', async () => {
    const { link } = await start();
    const { url: loginUrl } = await link();
    const res = await fetch(loginUrl, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^nanoclaw_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=604800$/,
    );
    const again = await fetch(loginUrl, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('This link is used or expired: run `nanoclaw dashboard` again');
  });

  it('refuses a link after 5 minutes', async () => {
    const { link, advance } = await start();
    const { url: loginUrl } = await link();
    advance(LOGIN_CODE_TTL_MS + 1);
    expect((await fetch(loginUrl, { redirect: 'manual' })).status).toBe(401);
  });

  it('gives the signed-in browser its CSRF token, and 401 to anyone else', async () => {
    const { url, signIn } = await start();
    const { cookie, csrfToken } = await signIn();
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await fetch(`${url}/auth/session`, { headers: { cookie } });
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(again.headers.get('x-content-type-options')).toBe('nosniff');
    expect(((await again.json()) as { csrfToken: string }).csrfToken).toBe(csrfToken);
    const stranger = await fetch(`${url}/auth/session`, { headers: { cookie: 'nanoclaw_session=guess' } });
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({
      code: 'unauthorized',
      error: expect.stringContaining('nanoclaw dashboard'),
    });
  });
});

describe('the API with a dashboard session', () => {
  it('reads with the cookie alone', async () => {
    const { url, signIn } = await start();
    const { cookie } = await signIn();
    const res = await fetch(`${url}/api/v1/status`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ groups: expect.any(Array) });
  });

  it('changes something only with the CSRF token and from its own origin', async () => {
    const { api, url, signIn } = await start();
    const { cookie, csrfToken } = await signIn();
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/api/v1/groups/main/messages`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ text: 'hi' }),
      });
    const without = await post({});
    expect(without.status).toBe(403);
    expect(await without.json()).toMatchObject({ code: 'csrf' });
    expect((await post({ 'x-nanoclaw-csrf': 'wrong' })).status).toBe(403);
    const foreign = await post({ 'x-nanoclaw-csrf': csrfToken, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'csrf' });
    expect(api.posted).toEqual([]);
    expect((await post({ 'x-nanoclaw-csrf': csrfToken, origin: url })).status).toBe(202);
    expect((await post({ 'x-nanoclaw-csrf': csrfToken })).status).toBe(202);
    expect(api.posted).toHaveLength(2);
  });

  it('audits what a signed-in browser changes as the dashboard, whatever actor header it sends', async () => {
    const { api, url, signIn } = await start();
    const { cookie, csrfToken } = await signIn();
    const res = await fetch(`${url}/api/v1/users`, {
      method: 'POST',
      headers: {
        cookie,
        'x-nanoclaw-csrf': csrfToken,
        'x-nanoclaw-actor': 'cli',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ userId: 'telegram:1', role: 'owner' }),
    });
    expect(res.status).toBe(201);
    expect(api.actors).toEqual(['dashboard']);
  });

  it('never makes login links: only the API token does', async () => {
    const { url, signIn } = await start();
    const { cookie, csrfToken } = await signIn();
    const res = await fetch(`${url}/api/v1/dashboard/links`, {
      method: 'POST',
      headers: { cookie, 'x-nanoclaw-csrf': csrfToken },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'forbidden' });
  });

  it('keeps bearer requests as they were: no CSRF token needed, a wrong token is not rescued by a cookie', async () => {
    const { url, bearer, signIn } = await start();
    const { cookie } = await signIn();
    const res = await fetch(`${url}/api/v1/groups/main/messages`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(res.status).toBe(202);
    const wrong = await fetch(`${url}/api/v1/status`, { headers: { authorization: 'Bearer nope', cookie } });
    expect(wrong.status).toBe(401);
  });

  it('streams events to the cookie (EventSource sends it)', async () => {
    const { api, url, signIn } = await start();
    const { cookie } = await signIn();
    const { hostname, port } = new URL(url);
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get({ hostname, port, path: '/api/v1/events', headers: { cookie } }, (res) => {
        expect(res.statusCode).toBe(200);
        let received = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          received += chunk;
          if (received.includes(': connected'))
            api.bus.publish({ type: 'queue', folder: 'main', queued: 1, running: 0 });
          if (received.includes('event: queue')) {
            req.destroy();
            resolve(received);
          }
        });
      });
      req.on('error', reject);
    });
    expect(text).toContain('data: {"type":"queue","folder":"main","queued":1,"running":0}');
  });

  it('signs out with the CSRF token: the cookie is cleared and no longer works', async () => {
    const { url, signIn } = await start();
    const { cookie, csrfToken } = await signIn();
    expect((await fetch(`${url}/auth/logout`, { method: 'POST', headers: { cookie } })).status).toBe(403);
    const out = await fetch(`${url}/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-nanoclaw-csrf': csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(
      /^nanoclaw_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/,
    );
    expect((await fetch(`${url}/api/v1/status`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${url}/auth/session`, { headers: { cookie } })).status).toBe(401);
  });
});
