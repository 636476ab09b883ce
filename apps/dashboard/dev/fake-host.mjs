/**
 * A stand-in for the host, for working on the dashboard before (or without) a running NanoClaw: serves dist/
 * and answers /auth and /api/v1 with a little canned data held in memory. NOT shipped (outside src/, not in
 * dist) and not a reference for the real API: apps/host is. `node dev/fake-host.mjs [port]` (default 7420);
 * `FAKE_SIGNED_OUT=1` makes /auth/session answer 401. A posted message gets a streamed fake reply.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.argv[2] ?? 7420);
const now = Date.now();
const DAY = 86_400_000;
const streams = new Set();
const state = {
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
      running: 0,
      sandbox: 'idle',
      lastError: null,
    },
    {
      folder: 'family',
      name: 'Family',
      isMain: false,
      trigger: '@Andy',
      access: 'request',
      provider: { id: 'codex', source: 'container.json' },
      chats: [],
      queued: 0,
      running: 0,
      sandbox: 'none',
      lastError: { message: 'the turn took longer than 15 min', at: now - 3_600_000 },
      configError: 'skills: no skill "notes"',
    },
  ],
  messages: [
    {
      id: 'm0',
      chat: 'main',
      sender: 'user',
      senderName: 'local user',
      text: 'hello',
      at: now - 60_000,
      fromAgent: false,
    },
  ],
  tasks: [
    {
      id: 'task-1a2b3c4d',
      folder: 'main',
      prompt: 'Summarise the news',
      schedule: { kind: 'cron', expression: '0 9 * * *' },
      timezone: 'UTC',
      contextMode: 'group',
      status: 'active',
      nextRun: now + DAY,
      lastRun: now - DAY,
      nextRuns: [now + DAY, now + 2 * DAY, now + 3 * DAY],
    },
  ],
  runs: [
    {
      id: 'run-1',
      taskId: 'task-1a2b3c4d',
      scheduledFor: now - DAY,
      startedAt: now - DAY,
      finishedAt: now - DAY + 4200,
      status: 'succeeded',
      late: false,
      durationMs: 4200,
      resultSummary: 'Three stories.',
      error: null,
    },
  ],
  sandboxes: [
    {
      id: 'sb-main-1',
      folder: 'main',
      session: 'main:default',
      provider: 'mock',
      runtime: 'bwrap',
      state: 'idle',
      startedAt: now - 600_000,
      lastActiveAt: now - 60_000,
    },
  ],
  approvals: [
    {
      id: 'ap-1',
      kind: 'access-request',
      group: 'family',
      question: 'telegram:42 asks to talk to the agent',
      options: ['Approve', 'Reject'],
      subject: 'telegram:42',
      requestedBy: 'telegram:42',
      askedUser: null,
      status: 'pending',
      createdAt: now - 120_000,
      expiresAt: now + DAY,
      decidedAt: null,
      decidedBy: null,
      decision: null,
    },
    {
      id: 'ap-2',
      kind: 'question',
      group: 'main',
      question: 'Deploy now?',
      options: ['Yes', 'Later'],
      subject: null,
      requestedBy: 'agent',
      askedUser: null,
      status: 'pending',
      createdAt: now - 60_000,
      expiresAt: now + DAY,
      decidedAt: null,
      decidedBy: null,
      decision: null,
    },
  ],
  config: { main: { provider: 'mock', skills: 'all' }, family: {} },
};

function emit(event) {
  for (const s of streams)
    if (s.folder === '*' || s.folder === event.folder)
      s.res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

function fakeReply(folder, text) {
  const runId = `run-${Date.now()}`;
  const reply = `Mock reply to: ${text}`;
  const steps = [
    { type: 'run-start', folder, runId, inReplyTo: [] },
    { type: 'tool-call', folder, runId, name: 'bash', kind: 'command', summary: 'ls -la' },
  ];
  for (const word of reply.split(/(?<= )/)) steps.push({ type: 'text-delta', folder, runId, delta: word });
  steps.push(
    { type: 'reply', folder, text: reply, inReplyTo: [], chat: folder },
    { type: 'run-end', folder, runId, status: 'succeeded' },
  );
  steps.forEach((event, i) => {
    setTimeout(() => emit(event), 150 * (i + 1));
  });
}

function usage() {
  const rows = [];
  for (let d = 29; d >= 0; d--) {
    const day = new Date(now - d * DAY).toISOString().slice(0, 10);
    rows.push({
      day,
      folder: 'main',
      provider: 'mock',
      inputTokens: 1000 + 37 * d,
      cachedInputTokens: 100,
      outputTokens: 400 + 11 * d,
    });
    if (d % 3 === 0)
      rows.push({
        day,
        folder: 'family',
        provider: 'codex',
        inputTokens: 5000,
        cachedInputTokens: 0,
        outputTokens: 900,
      });
  }
  return rows;
}

function previewTask(body) {
  const s = body.schedule ?? {};
  if (s.kind === 'cron' && !/^(\S+\s+){4,5}\S+$/.test(String(s.expression ?? '').trim())) {
    return [
      400,
      {
        error: 'invalid body: schedule.expression: a cron expression has 5 or 6 fields',
        code: 'invalid',
        field: 'schedule.expression',
      },
    ];
  }
  const step = s.kind === 'interval' ? s.everyMs : DAY;
  const first = s.kind === 'once' ? Date.parse(s.at) : now + step;
  const nextRuns = s.kind === 'once' ? [first] : [first, first + step, first + 2 * step];
  return [
    200,
    {
      id: `task-${Date.now()}`,
      folder: body.folder,
      prompt: body.prompt,
      schedule: s,
      timezone: body.timezone ?? 'UTC',
      contextMode: 'group',
      status: 'active',
      nextRun: nextRuns[0],
      lastRun: null,
      nextRuns,
    },
  ];
}

const routes = [
  [
    'GET',
    /^\/auth\/session$/,
    () =>
      process.env.FAKE_SIGNED_OUT
        ? [401, { error: 'not signed in', code: 'unauthorized' }]
        : [200, { csrfToken: 'fake-csrf' }],
  ],
  ['POST', /^\/auth\/logout$/, () => [200, {}]],
  [
    'GET',
    /^\/api\/v1\/status$/,
    () => [
      200,
      {
        version: '0.1.0',
        startedAt: now,
        runtime: { name: 'bwrap', detail: 'bubblewrap 0.9.0' },
        groups: state.groups,
        channels: [
          { channel: 'local', accountId: 'default', connected: true },
          { channel: 'telegram', accountId: 'default', connected: false, detail: 'no token' },
        ],
      },
    ],
  ],
  ['GET', /^\/api\/v1\/groups$/, () => [200, { groups: state.groups }]],
  [
    'GET',
    /^\/api\/v1\/groups\/([^/]+)\/messages$/,
    (m) => [200, { messages: state.messages.filter((x) => x.chat === m[1]) }],
  ],
  [
    'POST',
    /^\/api\/v1\/groups\/([^/]+)\/messages$/,
    (m, body) => {
      fakeReply(m[1], body.text);
      return [202, { messageId: `m-${Date.now()}`, willReply: true }];
    },
  ],
  [
    'GET',
    /^\/api\/v1\/groups\/([^/]+)\/config$/,
    (m) => [200, { folder: m[1], config: state.config[m[1]] ?? {}, error: null }],
  ],
  [
    'PUT',
    /^\/api\/v1\/groups\/([^/]+)\/config$/,
    (m, body) => {
      if (body.skills !== undefined && body.skills !== 'all' && !Array.isArray(body.skills)) {
        return [400, { error: 'invalid: skills: must be "all" or a list', code: 'invalid', field: 'skills' }];
      }
      state.config[m[1]] = body;
      return [200, { folder: m[1], config: body, error: null }];
    },
  ],
  [
    'GET',
    /^\/api\/v1\/tasks$/,
    (_m, _b, q) => [
      200,
      { tasks: state.tasks.filter((t) => !q.get('group') || t.folder === q.get('group')) },
    ],
  ],
  [
    'POST',
    /^\/api\/v1\/tasks$/,
    (_m, body, q) => {
      const [code, task] = previewTask(body);
      if (code === 200 && !q.get('dryRun')) {
        state.tasks.push(task);
        emit({ type: 'task', folder: task.folder, taskId: task.id, change: 'added' });
      }
      return [code === 200 && !q.get('dryRun') ? 201 : code, task];
    },
  ],
  [
    'POST',
    /^\/api\/v1\/tasks\/([^/]+)\/(pause|resume|cancel)$/,
    (m) => {
      const t = state.tasks.find((x) => x.id === m[1]);
      if (!t) return [404, { error: 'no task', code: 'not-found' }];
      t.status = { pause: 'paused', resume: 'active', cancel: 'cancelled' }[m[2]];
      emit({ type: 'task', folder: t.folder, taskId: t.id, change: `${m[2]}d` });
      return [200, t];
    },
  ],
  [
    'GET',
    /^\/api\/v1\/runs$/,
    (_m, _b, q) => [200, { runs: state.runs.filter((r) => r.taskId === q.get('task')) }],
  ],
  ['GET', /^\/api\/v1\/usage$/, () => [200, { usage: usage() }]],
  ['GET', /^\/api\/v1\/sandboxes$/, () => [200, { sandboxes: state.sandboxes }]],
  [
    'POST',
    /^\/api\/v1\/sandboxes\/([^/]+)\/kill$/,
    (m) => {
      state.sandboxes = state.sandboxes.filter((s) => s.id !== m[1]);
      emit({ type: 'sandbox', folder: 'main', id: m[1], state: 'stopped' });
      return [200, { id: m[1], killed: true }];
    },
  ],
  [
    'GET',
    /^\/api\/v1\/approvals$/,
    () => [200, { approvals: state.approvals.filter((a) => a.status === 'pending') }],
  ],
  [
    'POST',
    /^\/api\/v1\/approvals\/([^/]+)\/(approve|reject|answer)$/,
    (m) => {
      const a = state.approvals.find((x) => x.id === m[1]);
      a.status = m[2] === 'answer' ? 'answered' : `${m[2]}d`;
      emit({ type: 'approval', id: a.id, status: a.status });
      return [200, a];
    },
  ],
  [
    'GET',
    /^\/api\/v1\/users$/,
    () => [
      200,
      {
        users: [
          {
            id: 'telegram:1',
            platform: 'telegram',
            platformUserId: '1',
            name: 'Ann',
            linked: ['telegram:1'],
            roles: [{ role: 'owner', group: null }],
          },
        ],
      },
    ],
  ],
  [
    'GET',
    /^\/api\/v1\/audit$/,
    () => [
      200,
      {
        entries: [
          {
            id: 1,
            at: now - 1000,
            kind: 'role',
            action: 'grant',
            group: null,
            actor: 'cli',
            subject: 'telegram:1',
            detail: { role: 'owner' },
          },
        ],
      },
    ],
  ],
];

function serveStatic(url, res) {
  const file = path.join(dist, url.pathname === '/' ? 'index.html' : url.pathname);
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return false;
  const type =
    { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[
      path.extname(file)
    ] ?? 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type,
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  });
  fs.createReadStream(file).pipe(res);
  return true;
}

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const events = /^\/api\/v1\/(?:groups\/([^/]+)\/)?events$/.exec(url.pathname);
    if (events) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n');
      const stream = { folder: events[1] ?? '*', res };
      streams.add(stream);
      req.on('close', () => streams.delete(stream));
      return;
    }
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const route = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname));
      if (!route) {
        if (req.method === 'GET' && serveStatic(url, res)) return;
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":"not found","code":"not-found"}');
        return;
      }
      const [status, body] = route[2](
        route[1].exec(url.pathname),
        raw ? JSON.parse(raw) : {},
        url.searchParams,
      );
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`fake host on http://127.0.0.1:${port}`));
