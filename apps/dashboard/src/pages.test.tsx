/** The tasks, sandboxes, people and usage pages against a fake host (happy-dom). */
import { afterEach, describe, expect, it } from 'vitest';
import { button, click, FakeEventSource, json, renderApp, typeInto, waitFor } from './test-utils.js';

let view: ReturnType<typeof renderApp> | undefined;
afterEach(() => view?.unmount());

const DAY = 86_400_000;
const task = {
  id: 'task-1a2b3c4d5e',
  folder: 'main',
  prompt: 'Summarise the news',
  schedule: { kind: 'cron', expression: '0 9 * * *' },
  timezone: 'UTC',
  contextMode: 'group',
  status: 'active',
  nextRun: Date.UTC(2026, 11, 8, 9),
  lastRun: null,
  nextRuns: [Date.UTC(2026, 11, 8, 9), Date.UTC(2026, 11, 9, 9), Date.UTC(2026, 11, 10, 9)],
};

describe('the tasks page', () => {
  it('previews the next runs by dry run, shows a bad cron inline, and adds the task', async () => {
    view = renderApp('#/tasks', {
      'GET /api/v1/groups': () => json(200, { groups: [{ folder: 'main' }, { folder: 'family' }] }),
      'GET /api/v1/tasks': () => json(200, { tasks: [task] }),
      'POST /api/v1/tasks?dryRun=1': (call) =>
        JSON.parse(call.body ?? '{}').schedule.expression === 'nope'
          ? json(400, {
              error: 'schedule.expression: not a cron expression',
              code: 'invalid',
              field: 'schedule.expression',
            })
          : json(200, task),
      'POST /api/v1/tasks': () => json(201, { ...task, id: 'task-new' }),
    });
    const { q, calls } = view;
    await waitFor(() => expect(q<HTMLSelectElement>('#task-folder')?.value).toBe('main'));
    expect(q<HTMLSelectElement>('#task-timezone')?.value).toBe(
      Intl.DateTimeFormat().resolvedOptions().timeZone,
    );
    typeInto(q('#task-prompt'), 'Summarise the news');
    typeInto(q('#task-schedule'), 'nope');
    await waitFor(() =>
      expect(q('[data-testid="task-schedule-error"]')?.textContent).toContain('not a cron expression'),
    );
    expect(q('#task-schedule')?.getAttribute('aria-describedby')).toContain('task-schedule-error');
    expect(q('#task-schedule')?.getAttribute('aria-invalid')).toBe('true');

    typeInto(q('#task-schedule'), '0 9 * * *');
    await waitFor(() => expect(q('[data-testid="task-preview"]')?.getAttribute('data-state')).toBe('ok'));
    expect(q('[data-testid="task-schedule-error"]')).toBeNull();
    expect(q('[data-testid="task-preview"]')?.querySelectorAll('li')).toHaveLength(3);
    const dryRun = calls.filter((c) => c.url === '/api/v1/tasks?dryRun=1').at(-1);
    expect(JSON.parse(dryRun?.body ?? '')).toMatchObject({
      folder: 'main',
      schedule: { kind: 'cron', expression: '0 9 * * *' },
    });
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/v1/tasks')).toBe(false);

    q<HTMLFormElement>('[data-testid="task-form"]')!.requestSubmit();
    await waitFor(() =>
      expect(q('[data-testid="notice"]')?.textContent).toBe('Task task-new added for main.'),
    );
    expect(
      calls.find((c) => c.method === 'POST' && c.url === '/api/v1/tasks')?.headers['x-nanoclaw-csrf'],
    ).toBe('c1');
  });

  it('pauses a task and shows its run history', async () => {
    view = renderApp('#/tasks', {
      'GET /api/v1/groups': () => json(200, { groups: [{ folder: 'main' }] }),
      'GET /api/v1/tasks': () => json(200, { tasks: [task] }),
      'POST /api/v1/tasks/task-1a2b3c4d5e/pause': () => json(200, { ...task, status: 'paused' }),
      'GET /api/v1/runs?task=task-1a2b3c4d5e&limit=20': () =>
        json(200, {
          runs: [
            {
              id: 'r1',
              taskId: task.id,
              scheduledFor: 0,
              startedAt: Date.UTC(2026, 11, 7, 9),
              finishedAt: null,
              status: 'failed',
              late: false,
              durationMs: 4200,
              resultSummary: null,
              error: 'provider down',
            },
          ],
        }),
    });
    const { q, root } = view;
    await waitFor(() => expect(q('[data-testid="task-row"]')).not.toBeNull());
    expect(q('[data-testid="task-next-runs"]')?.querySelectorAll('li')).toHaveLength(3);
    click(root.querySelector('button[aria-label="Pause task task-1a2"]'));
    await waitFor(() => expect(q('[data-testid="notice"]')?.textContent).toBe('Task task-1a2: paused.'));
    click(q('[data-testid="task-runs-toggle"]'));
    await waitFor(() => expect(q('[data-testid="run-row"]')).not.toBeNull());
    expect(q('[data-testid="task-runs-toggle"]')?.getAttribute('aria-expanded')).toBe('true');
    const cells = [...q('[data-testid="run-row"]')!.querySelectorAll('td')].map((c) => c.textContent);
    expect(cells).toEqual(['failed', '4.2 s', '—', 'provider down']);
  });
});

describe('the sandboxes page', () => {
  it('kills a sandbox only after the confirm step, and refetches on sandbox events', async () => {
    let sandboxes = [
      {
        id: 'sb1',
        folder: 'main',
        session: 'main:default',
        provider: 'mock',
        runtime: 'bwrap',
        state: 'idle',
        startedAt: 0,
        lastActiveAt: 0,
      },
    ];
    view = renderApp('#/sandboxes', {
      'GET /api/v1/sandboxes': () => json(200, { sandboxes }),
      'POST /api/v1/sandboxes/sb1/kill': () => {
        sandboxes = [];
        return json(200, { id: 'sb1', killed: true });
      },
    });
    const { q, calls } = view;
    await waitFor(() => expect(q('[data-testid="sandbox-row"]')).not.toBeNull());
    click(q('[data-testid="sandbox-kill"]'));
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    expect(document.activeElement).toBe(q('[data-testid="sandbox-kill-confirm"]'));
    click(q('[data-testid="sandbox-kill-cancel"]'));
    expect(document.activeElement).toBe(q('[data-testid="sandbox-kill"]'));
    click(q('[data-testid="sandbox-kill"]'));
    click(q('[data-testid="sandbox-kill-confirm"]'));
    await waitFor(() => expect(q('[data-testid="sandbox-row"]')).toBeNull());
    expect(calls.find((c) => c.method === 'POST')?.headers['x-nanoclaw-csrf']).toBe('c1');
    sandboxes = [
      {
        id: 'sb2',
        folder: 'main',
        session: 's',
        provider: 'mock',
        runtime: 'bwrap',
        state: 'starting',
        startedAt: 0,
        lastActiveAt: 0,
      },
    ];
    FakeEventSource.fire('/api/v1/events', 'sandbox', { folder: 'main', id: 'sb2', state: 'starting' });
    await waitFor(() =>
      expect(q('[data-testid="sandbox-row"]')?.getAttribute('data-sandbox-id')).toBe('sb2'),
    );
  });
});

describe('the people page', () => {
  it('approves an access request and answers a question with its option number', async () => {
    const base = {
      group: 'main',
      subject: null,
      requestedBy: 'telegram:42',
      askedUser: null,
      status: 'pending',
      createdAt: 0,
      expiresAt: DAY,
      decidedAt: null,
      decidedBy: null,
      decision: null,
    };
    view = renderApp('#/people', {
      'GET /api/v1/approvals?status=pending': () =>
        json(200, {
          approvals: [
            {
              ...base,
              id: 'a1',
              kind: 'access-request',
              question: 'telegram:42 asks to talk',
              options: ['Approve', 'Reject'],
            },
            { ...base, id: 'q1', kind: 'question', question: 'Deploy now?', options: ['Yes', 'Later'] },
          ],
        }),
      'GET /api/v1/users': () =>
        json(200, {
          users: [
            {
              id: 'telegram:1',
              platform: 'telegram',
              platformUserId: '1',
              name: 'Ann',
              linked: ['telegram:1'],
              roles: [{ role: 'admin', group: 'main' }],
            },
          ],
        }),
      'GET /api/v1/audit?limit=100': () => json(200, { entries: [] }),
      'POST /api/v1/approvals/a1/approve': () => json(200, {}),
      'POST /api/v1/approvals/q1/answer': () => json(200, {}),
    });
    const { q, calls } = view;
    await waitFor(() => expect(q('[data-approval-id="q1"]')).not.toBeNull());
    expect(q('[data-testid="user-row"]')?.textContent).toContain('admin of main');
    click(button(q('[data-approval-id="a1"]')!, 'Approve'));
    click(button(q('[data-approval-id="q1"]')!, 'Later'));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST')).toHaveLength(2));
    expect(calls.find((c) => c.url.endsWith('/answer'))?.body).toBe('{"option":2}');
  });
});

describe('the usage page', () => {
  it('sums tokens per provider and per group in tables beside the chart', async () => {
    const today = new Date().toISOString().slice(0, 10);
    view = renderApp('#/usage', {
      'GET /api/v1/usage?days=30': () =>
        json(200, {
          usage: [
            {
              day: today,
              folder: 'main',
              provider: 'mock',
              inputTokens: 1200,
              cachedInputTokens: 0,
              outputTokens: 300,
            },
            {
              day: today,
              folder: 'family',
              provider: 'mock',
              inputTokens: 10,
              cachedInputTokens: 5,
              outputTokens: 20,
            },
          ],
        }),
    });
    const { q } = view;
    await waitFor(() => expect(q('[data-testid="usage-by-group"]')).not.toBeNull());
    expect(q('[data-testid="usage-chart"] [role="img"]')?.getAttribute('aria-label')).toContain(
      'tokens per day',
    );
    const provider = [
      ...q('[data-testid="usage-by-provider"]')!.querySelectorAll('[data-testid="usage-row"]'),
    ];
    expect(provider.map((r) => r.textContent)).toEqual(['mock1,21053201,530']);
    const groups = [...q('[data-testid="usage-by-group"]')!.querySelectorAll('[data-testid="usage-row"]')];
    expect(groups.map((r) => r.getAttribute('data-key'))).toEqual(['main', 'family']);
  });
});
