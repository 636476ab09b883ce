/** The shell and two pages rendered in happy-dom against a fake fetch and fake event streams. */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from './api.js';
import { App } from './app.js';

class FakeEventSource {
  static all: FakeEventSource[] = [];
  readonly listeners = new Map<string, (event: MessageEvent<string>) => void>();
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  static fire(url: string, type: string, data: unknown) {
    const source = FakeEventSource.all.find((s) => s.url === url && !s.closed);
    if (!source) throw new Error(`no open stream ${url}`);
    act(() => source.listeners.get(type)?.(new MessageEvent(type, { data: JSON.stringify(data) })));
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

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

let calls: Array<{ method: string; url: string; headers: Record<string, string>; body?: string }>;
let root: HTMLElement;

function fetchWith(routes: Record<string, () => Response>) {
  return async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    calls.push({
      method,
      url,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body as string,
    });
    return routes[`${method} ${url}`]?.() ?? json(404, { error: 'not found', code: 'not-found' });
  };
}

async function waitFor(check: () => void, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }
}

const q = (testId: string) => root.querySelector(`[data-testid="${testId}"]`);

beforeEach(() => {
  calls = [];
  FakeEventSource.all = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  root = document.createElement('div');
  document.body.append(root);
  location.hash = '';
});

afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

describe('the dashboard app', () => {
  it('shows only the sign-in hint when /auth/session says 401', async () => {
    const api = createApiClient({
      fetch: fetchWith({ 'GET /auth/session': () => json(401, { error: 'no', code: 'unauthorized' }) }),
    });
    render(<App api={api} />, root);
    await waitFor(() => expect(q('signed-out')).not.toBeNull());
    expect(root.querySelector('h1')?.textContent).toBe('Not signed in');
    expect(q('signed-out')?.textContent).toContain('nanoclaw dashboard');
    expect(root.querySelector('nav')).toBeNull();
    expect(calls.map((c) => c.url)).toEqual(['/auth/session']);
    expect(FakeEventSource.all).toHaveLength(0);
  });

  it('shows the groups and refetches the status when an event comes', async () => {
    const api = createApiClient({
      fetch: fetchWith({
        'GET /auth/session': () => json(200, { csrfToken: 'c1' }),
        'GET /api/v1/status': () => json(200, STATUS),
      }),
    });
    render(<App api={api} />, root);
    await waitFor(() =>
      expect(root.querySelector('[data-testid="group-row"][data-folder="main"]')).not.toBeNull(),
    );
    expect(q('group-provider')?.textContent).toBe('mock from credentials');
    expect(q('group-queue')?.textContent).toBe('0 queued, 1 running');
    expect(root.querySelector('nav')?.getAttribute('aria-label')).toBe('Main');
    FakeEventSource.fire('/api/v1/events', 'queue', { folder: 'main', queued: 1, running: 1 });
    FakeEventSource.fire('/api/v1/events', 'sandbox', { folder: 'main', id: 's', state: 'idle' });
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/v1/status')).toHaveLength(2));
  });

  it('streams the agent reply into one bubble on the group page and sends with the CSRF header', async () => {
    location.hash = '#/groups/main';
    const api = createApiClient({
      fetch: fetchWith({
        'GET /auth/session': () => json(200, { csrfToken: 'c1' }),
        'GET /api/v1/groups/main/messages?limit=50': () => json(200, { messages: [] }),
        'GET /api/v1/groups/main/config': () => json(200, { folder: 'main', config: {}, error: null }),
        'GET /api/v1/tasks?group=main': () => json(200, { tasks: [] }),
        'POST /api/v1/groups/main/messages': () => json(202, { messageId: 'm1', willReply: true }),
      }),
    });
    render(<App api={api} />, root);
    await waitFor(() => expect(q('send-form')).not.toBeNull());
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
    const bubble = q('agent-bubble');
    expect(bubble?.getAttribute('data-streaming')).toBe('true');
    expect(q('agent-text')?.textContent).toBe('Hello');
    expect(q('tool-chip')?.textContent).toBe('⚙ bash: ls');
    FakeEventSource.fire(stream, 'reply', {
      folder: 'main',
      text: 'Hello there',
      inReplyTo: [],
      chat: 'main',
    });
    expect(q('agent-bubble')?.getAttribute('data-streaming')).toBe('false');
    expect(q('agent-text')?.textContent).toBe('Hello there');

    const textarea = root.querySelector<HTMLTextAreaElement>('#message-text')!;
    act(() => {
      textarea.value = 'hi';
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => {
      root.querySelector<HTMLFormElement>('[data-testid="send-form"]')!.requestSubmit();
    });
    await waitFor(() => expect(q('notice')?.textContent).toBe('Message sent.'));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.headers['x-nanoclaw-csrf']).toBe('c1');
    expect(post?.body).toBe('{"text":"hi"}');
  });
});
