/** The shell and the group page rendered in happy-dom against a fake fetch and fake event streams. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEventSource, json, renderApp, typeInto, waitFor } from './test-utils.js';

const STATUS = {
  version: '0.1.0',
  startedAt: Date.UTC(2026, 11, 7),
  runtime: { name: 'bwrap', detail: 'bubblewrap 0.9' },
  groups: [
    {
      folder: 'main',
      name: 'Main',
      isMain: true,
      trigger: '@Andy',
      access: 'public',
      provider: { id: 'mock', source: 'credentials' },
      chats: [],
      queued: 0,
      running: 1,
      sandbox: 'busy',
      lastError: null,
    },
  ],
  channels: [{ channel: 'local', accountId: 'default', connected: true }],
};

let view: ReturnType<typeof renderApp> | undefined;
afterEach(() => view?.unmount());

describe('the dashboard app', () => {
  it('shows only the sign-in hint when /auth/session says 401', async () => {
    view = renderApp('', { 'GET /auth/session': () => json(401, { error: 'no', code: 'unauthorized' }) });
    const { q, calls } = view;
    await waitFor(() => expect(q('[data-testid="signed-out"]')).not.toBeNull());
    expect(q('h1')?.textContent).toBe('Not signed in');
    expect(q('[data-testid="signed-out"]')?.textContent).toContain('nanoclaw dashboard');
    expect(q('nav')).toBeNull();
    expect(q('[data-testid="session"]')?.getAttribute('data-state')).toBe('signed-out');
    expect(calls.map((c) => c.url)).toEqual(['/auth/session']);
    expect(FakeEventSource.all).toHaveLength(0);
  });

  it('shows the groups and refetches the status when an event comes', async () => {
    view = renderApp('', { 'GET /api/v1/status': () => json(200, STATUS) });
    const { q, calls } = view;
    await waitFor(() => expect(q('[data-testid="group-row"][data-folder="main"]')).not.toBeNull());
    expect(q('[data-testid="group-provider"]')?.textContent).toBe('mock from credentials');
    expect(q('[data-testid="group-queue"]')?.textContent).toBe('0 queued, 1 running');
    expect(q('nav')?.getAttribute('aria-label')).toBe('Main');
    expect(q('[data-testid="session"]')?.getAttribute('data-state')).toBe('signed-in');
    FakeEventSource.fire('/api/v1/events', 'queue', { folder: 'main', queued: 1, running: 1 });
    FakeEventSource.fire('/api/v1/events', 'sandbox', { folder: 'main', id: 's', state: 'idle' });
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/v1/status')).toHaveLength(2));
  });

  it('goes to the signed-out page when the API answers 401 later', async () => {
    view = renderApp('', {
      'GET /api/v1/status': () => json(401, { error: 'signed out', code: 'unauthorized' }),
    });
    await waitFor(() => expect(view?.q('[data-testid="signed-out"]')).not.toBeNull());
    expect(view.q('[data-testid="group-row"]')).toBeNull();
  });

  it('streams the agent reply into one bubble on the group page and sends with the CSRF header', async () => {
    view = renderApp('#/groups/main', {
      'GET /api/v1/status': () => json(200, STATUS),
      'GET /api/v1/groups/main/messages?limit=50': () => json(200, { messages: [] }),
      'GET /api/v1/groups/main/config': () => json(200, { folder: 'main', config: {}, error: null }),
      'GET /api/v1/tasks?group=main': () => json(200, { tasks: [] }),
      'POST /api/v1/groups/main/messages': () => json(202, { messageId: 'm1', willReply: true }),
    });
    const { q, calls } = view;
    await waitFor(() => expect(q('[data-testid="send-form"]')).not.toBeNull());
    const stream = '/api/v1/groups/main/events';
    FakeEventSource.fire(stream, 'run-start', { folder: 'main', runId: 'r1', inReplyTo: [] });
    FakeEventSource.fire(stream, 'text-delta', { folder: 'main', runId: 'r1', delta: 'Hel' });
    FakeEventSource.fire(stream, 'tool-call', {
      folder: 'main',
      runId: 'r1',
      name: 'bash',
      kind: 'command',
      summary: 'ls',
    });
    FakeEventSource.fire(stream, 'text-delta', { folder: 'main', runId: 'r1', delta: 'lo' });
    expect(q('[data-testid="agent-bubble"]')?.getAttribute('data-streaming')).toBe('true');
    expect(q('[data-testid="agent-text"]')?.textContent).toBe('Hello');
    expect(q('[data-testid="tool-chip"]')?.textContent).toBe('⚙ bash: ls');
    FakeEventSource.fire(stream, 'reply', {
      folder: 'main',
      text: 'Hello there',
      inReplyTo: [],
      chat: 'main',
    });
    expect(q('[data-testid="agent-bubble"]')?.getAttribute('data-streaming')).toBe('false');
    expect(q('[data-testid="agent-text"]')?.textContent).toBe('Hello there');
    await waitFor(() =>
      expect(q('[data-testid="group-summary"]')?.textContent).toContain('Provider mock (from credentials)'),
    );

    typeInto(q('#message-text'), 'hi');
    q<HTMLFormElement>('[data-testid="send-form"]')!.requestSubmit();
    await waitFor(() => expect(q('[data-testid="notice"]')?.textContent).toBe('Message sent.'));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.headers['x-nanoclaw-csrf']).toBe('c1');
    expect(post?.body).toBe('{"text":"hi"}');
  });

  it('shows a refused configuration save next to the key it names', async () => {
    view = renderApp('#/groups/main', {
      'GET /api/v1/groups/main/messages?limit=50': () => json(200, { messages: [] }),
      'GET /api/v1/groups/main/config': () =>
        json(200, { folder: 'main', config: { skills: 'all' }, error: null }),
      'GET /api/v1/tasks?group=main': () => json(200, { tasks: [] }),
      'PUT /api/v1/groups/main/config': () =>
        json(400, { error: 'skills: no skill "nope"', code: 'invalid', field: 'skills' }),
    });
    const { q } = view;
    await waitFor(() => expect(q<HTMLInputElement>('#config-skills')?.value).toBe('all'));
    typeInto(q('#config-json'), '{"skills": ["nope"]}');
    q<HTMLFormElement>('[data-testid="config-editor"]')!.requestSubmit();
    await waitFor(() => expect(q('[data-testid="config-field-error"]')).not.toBeNull());
    expect(q('[data-testid="config-field-error"]')?.textContent).toBe('skills: no skill "nope"');
    expect(q('#config-skills')?.getAttribute('aria-describedby')).toContain('config-skills-error');
    expect(q('#config-skills')?.getAttribute('aria-invalid')).toBe('true');
  });
});
