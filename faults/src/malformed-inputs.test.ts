/**
 * Malformed input of every kind a user (or a broken file) can hand the host: container.json, cron strings, time
 * zones, group names (`..`, unicode, very long), oversized and non-UTF-8 messages. Each must get a clear error
 * (a 4xx naming the field, or an error event in the chat naming the file and key), and the host must stay up and
 * keep answering. One real host (`nanoclaw start`) for all of them; agents run unsandboxed (`process`), as none
 * of these cases gets as far as an agent. Broken JSON-RPC from a runner is in runner-protocol.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@nanoclaw/testing/loopback';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi, type HostEvent, rawPost, until } from './api.js';
import { type HostProcess, scratchRoot, startHost } from './host-process.js';
import { writeSummary } from './results.js';

let host: HostProcess;
let api: Api;
let root = '';
const events: HostEvent[] = [];
let closeStream: () => void = () => {};
const counts: Record<string, number> = {};
const count = (family: string) => {
  counts[family] = (counts[family] ?? 0) + 1;
};

/** Folders put in groups/ before the start: each must be ignored with a warning, the host starting anyway. */
const BAD_DISK_FOLDERS = [
  '..hidden',
  '.dot',
  '-dash',
  '_under',
  'with space',
  'grüße',
  '群组',
  '🙂',
  'a'.repeat(65),
  'x'.repeat(200),
  'semi;colon',
  'new\nline',
];

beforeAll(async () => {
  root = scratchRoot('malformed');
  for (const name of BAD_DISK_FOLDERS) fs.mkdirSync(path.join(root, 'groups', name), { recursive: true });
  host = await startHost({ root, port: await freePort(), runtime: 'process' });
  api = createApi(host.url, host.token);
  const stream = await api.events((event) => events.push(event));
  closeStream = stream.close;
});

afterAll(async () => {
  closeStream();
  await host?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  writeSummary('malformed-inputs', { total, ...counts });
  console.log(`[malformed] ${total} inputs: ${JSON.stringify(counts)}`);
});

async function stillUp(): Promise<void> {
  expect(await api.healthy(), 'the host is still up').toBe(true);
}

/** A 400 (or another 4xx) with a JSON error that says something. */
async function expectRefused(
  response: { status: number; body: unknown; text: string },
  statuses: number[] = [400],
  pattern?: RegExp,
) {
  expect(statuses, response.text).toContain(response.status);
  const body = response.body as { error?: string };
  expect(typeof body?.error, response.text).toBe('string');
  expect(body.error?.length).toBeGreaterThan(5);
  if (pattern) expect(body.error).toMatch(pattern);
}

describe('group folders on disk with bad names', () => {
  it('are ignored with a warning; the host starts and does not list them', async () => {
    const listed = await api.request('GET', '/api/v1/groups');
    const folders = (listed.body as { groups: Array<{ folder: string }> }).groups.map((g) => g.folder);
    for (const name of BAD_DISK_FOLDERS) {
      expect(folders).not.toContain(name);
      count('group folder on disk');
    }
    expect(host.output()).toContain('ignoring groups/ entry');
    await stillUp();
  });
});

describe('group names through the API', () => {
  const bad: unknown[] = [
    '..',
    '../x',
    '../../etc',
    'a/../../b',
    '..%2F..',
    '.',
    '',
    ' ',
    'a b',
    'a/b',
    'a\\b',
    '/abs',
    '.hidden',
    '-flag',
    '_x',
    'a'.repeat(65),
    'a'.repeat(10_000),
    'grüße',
    '群组',
    'émoji🙂',
    'é',
    'a\u0000b',
    'a\nb',
    'a\tb',
    'global',
    'GLOBAL',
    'a;rm -rf',
    '$(id)',
    '`id`',
    'a*',
    'a?',
    'a:b',
    'CON',
    42,
    null,
    true,
    ['main'],
    { folder: 'x' },
    'a\u202Eb',
    '\uD800',
  ];
  it.each(bad.map((folder, i) => [i, folder]))('refuses folder #%i', async (_i, folder) => {
    // CON is a valid folder on Linux (Windows reserves it): accepted and removed again.
    const res = await api.request('POST', '/api/v1/groups', { folder });
    if (folder === 'CON') {
      expect(res.status).toBe(201);
      expect((await api.request('DELETE', '/api/v1/groups/CON')).status).toBe(200);
    } else {
      await expectRefused(res, [400], /folder/);
    }
    count('group name (API body)');
    await stillUp();
  });

  const badPaths = [
    '/api/v1/groups/../messages',
    '/api/v1/groups/..%2F..%2Fetc/messages',
    '/api/v1/groups/%2e%2e/messages',
    '/api/v1/groups/%C3%BC/messages',
    '/api/v1/groups/%F0%9F%99%82/messages',
    `/api/v1/groups/${'a'.repeat(5_000)}/messages`,
    '/api/v1/groups/a%00b/messages',
    '/api/v1/groups/%ZZ/messages',
    '/api/v1/groups/global/messages',
    '/api/v1/groups/nobody/messages',
  ];
  it.each(badPaths.map((p, i) => [i, p]))('refuses the group path #%i', async (_i, p) => {
    const res = await api.request('POST', p, { text: 'hi' });
    await expectRefused(res, [400, 404]);
    count('group name (URL)');
    await stillUp();
  });
});

describe('cron strings', () => {
  const bad = [
    '',
    ' ',
    '*',
    '* *',
    '* * *',
    '* * * *',
    '* * * * * * *',
    '60 * * * *',
    '-1 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * 32 * *',
    '* * * 0 *',
    '* * * 13 *',
    '* * * * 8',
    '*/0 * * * *',
    '5-1 * * * *',
    '1-2-3 * * * *',
    ',, * * * *',
    'a b c d e',
    'x * * * *',
    '* * * JANUARY *',
    '* * * * MONDAY',
    '61 * * * * *',
    '@every 5m',
    '@hourlyish',
    '0 0 30 2 *',
    '0 0 31 4 *',
    '1.5 * * * *',
    '1e3 * * * *',
    '* * * * * ; rm -rf /',
    '$(reboot) * * * *',
    '\u0000 * * * *',
    '* * * * *\n* * * * *',
    '１ * * * *',
    '🙂 * * * *',
    '* '.repeat(100),
    'x'.repeat(201),
    '0 0 * * 1#9',
    '0 0 L * 8',
  ];
  it.each(bad.map((expression, i) => [i, expression]))('refuses cron #%i', async (_i, expression) => {
    const res = await api.request('POST', '/api/v1/tasks', {
      folder: 'main',
      prompt: 'nightly',
      schedule: { kind: 'cron', expression },
    });
    await expectRefused(res, [400], /schedule|cron|expression/i);
    count('cron string');
    await stillUp();
  });

  const badSchedules: unknown[] = [
    { kind: 'interval', everyMs: 0 },
    { kind: 'interval', everyMs: -5 },
    { kind: 'interval', everyMs: 1.5 },
    { kind: 'interval', everyMs: '60000' },
    { kind: 'interval', everyMs: 1e300 },
    { kind: 'once', at: 'tomorrow' },
    { kind: 'once', at: '2026-13-01T00:00:00Z' },
    { kind: 'once', at: '2026-02-30T00:00:00Z' },
    { kind: 'once', at: '' },
    { kind: 'weekly', at: 'monday' },
    { kind: 'cron' },
    { expression: '* * * * *' },
    'every day',
    null,
  ];
  it.each(badSchedules.map((schedule, i) => [i, schedule]))('refuses schedule #%i', async (_i, schedule) => {
    const res = await api.request('POST', '/api/v1/tasks', { folder: 'main', prompt: 'nightly', schedule });
    await expectRefused(res, [400], /schedule|every|at|kind/i);
    count('schedule');
    await stillUp();
  });
});

describe('time zones', () => {
  const bad: unknown[] = [
    '',
    ' ',
    'Mars/Olympus_Mons',
    'Europe/Londres',
    'europe/london ',
    'UTC+25',
    'GMT+99',
    '+25:00',
    '../../etc/passwd',
    '/etc/localtime',
    'Europe/../../etc/passwd',
    'Europe/Berlin\u0000',
    'Europe/Berlin\n',
    'America/New York',
    'Asia/東京',
    '🙂',
    'x'.repeat(300),
    'local',
    'Z+1',
    'EST5EDT,M3.2.0,M11.1.0',
    42,
    null,
    true,
    ['UTC'],
    { tz: 'UTC' },
  ];
  it.each(bad.map((timezone, i) => [i, timezone]))('refuses time zone #%i', async (_i, timezone) => {
    const res = await api.request('POST', '/api/v1/tasks', {
      folder: 'main',
      prompt: 'nightly',
      schedule: { kind: 'cron', expression: '0 3 * * *' },
      timezone,
    });
    await expectRefused(res, [400], /timezone/);
    count('time zone');
    await stillUp();
  });
});

describe('messages', () => {
  const post = (body: unknown, headers?: Record<string, string>) =>
    api.request('POST', '/api/v1/groups/main/messages', body, headers);
  const cases: Array<[string, () => Promise<{ status: number; body: unknown; text: string }>, number[]]> = [
    ['text over 100,000 characters', () => post({ text: 'x'.repeat(100_001) }), [400]],
    ['text of 1 MB + 1', () => post({ text: 'x'.repeat(1024 * 1024 + 1) }), [413]],
    [
      'body of 8 MB',
      () =>
        rawPost(
          host.url,
          '/api/v1/groups/main/messages',
          host.token(),
          Buffer.from(`{"text":"${'y'.repeat(8 << 20)}"}`),
        ),
      [413],
    ],
    ['empty text', () => post({ text: '' }), [400]],
    ['no text', () => post({}), [400]],
    ['text as a number', () => post({ text: 5 }), [400]],
    ['text as null', () => post({ text: null }), [400]],
    ['text as an array', () => post({ text: ['a'] }), [400]],
    ['text as an object', () => post({ text: { a: 1 } }), [400]],
    ['unknown key', () => post({ text: 'hi', colour: 'red' }), [400]],
    ['sender too long', () => post({ text: 'hi', sender: 's'.repeat(257) }), [400]],
    ['sender as a number', () => post({ text: 'hi', sender: 1 }), [400]],
    ['a JSON array', () => post('[1,2]'), [400]],
    ['a JSON string', () => post('"hi"'), [400]],
    ['JSON null', () => post('null'), [400]],
    ['cut-off JSON', () => post('{"text": "hi'), [400]],
    ['trailing garbage', () => post('{"text": "hi"} x'), [400]],
    ['single quotes', () => post("{'text': 'hi'}"), [400]],
    ['NaN', () => post('{"text": NaN}'), [400]],
    ['deep nesting', () => post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), [400]],
    ['text/plain body', () => post('text=hi', { 'content-type': 'text/plain' }), [415]],
    ['form body', () => post('text=hi', { 'content-type': 'application/x-www-form-urlencoded' }), [415]],
    ['Latin-1 byte', () => post(bytes('{"text":"caf', [0xe9], '"}')), [400]],
    ['lone continuation byte', () => post(bytes('{"text":"a', [0x80], '"}')), [400]],
    ['overlong encoding of "/"', () => post(bytes('{"text":"', [0xc0, 0xaf], '"}')), [400]],
    ['cut-off 4-byte sequence', () => post(bytes('{"text":"', [0xf0, 0x9f, 0x99], '"}')), [400]],
    ['UTF-16 surrogate as bytes', () => post(bytes('{"text":"', [0xed, 0xa0, 0x80], '"}')), [400]],
    ['0xFF bytes', () => post(bytes('{"text":"', [0xff, 0xfe, 0xff], '"}')), [400]],
    ['UTF-16LE body', () => post(Buffer.from('{"text":"hi"}', 'utf16le')), [400]],
    ['binary garbage', () => post(Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256))), [400]],
  ];
  it.each(cases.map(([name, run, statuses]) => [name, run, statuses] as const))(
    'refuses %s',
    async (_name, run, statuses) => {
      await expectRefused(await run(), statuses);
      count('message');
      await stillUp();
    },
  );

  it('stored nothing from any refused message', async () => {
    const status = await api.request('GET', '/api/v1/status');
    expect(status.status).toBe(200);
    expect(events.filter((e) => e.type === 'run-start')).toEqual([]);
  });
});

describe('container.json', () => {
  const bad: Array<[string, string | Buffer]> = [
    ['empty file', ''],
    ['not JSON', 'provider: codex'],
    ['cut-off JSON', '{"provider": "mock"'],
    ['trailing comma', '{"provider": "mock",}'],
    ['comments', '// hi\n{}'],
    ['null', 'null'],
    ['an array', '[]'],
    ['a number', '42'],
    ['a string', '"mock"'],
    ['non-UTF-8 bytes', bytes('{"model":"', [0xff, 0xfe], '"}')],
    ['unknown key', '{"colour": "red"}'],
    ['unknown nested key', '{"timeouts": {"forever": true}}'],
    ['provider as a number', '{"provider": 5}'],
    ['provider with capitals', '{"provider": "Claude"}'],
    ['provider with a path', '{"provider": "../codex"}'],
    ['model as a number', '{"model": 3}'],
    ['turnMs as a string', '{"timeouts": {"turnMs": "1000"}}'],
    ['turnMs negative', '{"timeouts": {"turnMs": -1}}'],
    ['turnMs too long', '{"timeouts": {"turnMs": 1e12}}'],
    ['heartbeatMs too short', '{"timeouts": {"heartbeatMs": 10}}'],
    ['idleMs fractional', '{"timeouts": {"idleMs": 1500.5}}'],
    ['memoryMb too small', '{"limits": {"memoryMb": 1}}'],
    ['cpus zero', '{"limits": {"cpus": 0}}'],
    ['pids huge', '{"limits": {"pids": 1000000000}}'],
    ['network unknown', '{"network": "internet"}'],
    ['network as a boolean', '{"network": true}'],
    ['mounts as a string', '{"additionalMounts": "/etc"}'],
    ['mount without a path', '{"additionalMounts": [{}]}'],
    ['env as an array', '{"env": ["A=1"]}'],
    ['env value as a number', '{"env": {"A": 1}}'],
    ['env name with "="', '{"env": {"A=B": "1"}}'],
    ['mcpServers as a list', '{"mcpServers": ["x"]}'],
    ['mcp server without a command', '{"mcpServers": {"x": {}}}'],
    ['followUpMode unknown', '{"followUpMode": "sometimes"}'],
    ['reasoningEffort unknown', '{"reasoningEffort": "max"}'],
    ['trigger empty', '{"trigger": ""}'],
    ['trigger not a regular expression', '{"trigger": "(unclosed"}'],
    ['trigger very long', JSON.stringify({ trigger: 'x'.repeat(10_000) })],
    ['deeply nested', `{"env": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`],
    ['5 MB of whitespace', `{${' '.repeat(5 * 1024 * 1024)}"colour": 1}`],
  ];

  it.each(bad.map(([name, content], i) => [name, content, i] as const))(
    '%s: the chat is told what is wrong with the file',
    async (_name, content, i) => {
      const folder = `cfg-${String(i).padStart(3, '0')}`;
      const created = await api.request('POST', '/api/v1/groups', { folder });
      expect(created.status, created.text).toBe(201);
      fs.writeFileSync(path.join(root, 'groups', `${folder}.container.json`), content);
      const posted = await api.postMessage(folder, '@Andy hello');
      await until(
        () => events.some((e) => e.type === 'error' && e.inReplyTo?.includes(posted.messageId)),
        15_000,
        `the error for ${folder}`,
      );
      const error = events.find((e) => e.type === 'error' && e.inReplyTo?.includes(posted.messageId));
      expect(error?.message).toContain(`groups/${folder}.container.json: `);
      expect(events.some((e) => e.type === 'run-start' && e.inReplyTo?.includes(posted.messageId))).toBe(
        false,
      );
      count('container.json');
      await stillUp();
    },
  );
});

describe('after all of it', () => {
  it('the host still answers a good message', async () => {
    const posted = await api.postMessage('main', 'still there?');
    await until(
      () => events.some((e) => e.type === 'reply' && e.inReplyTo?.includes(posted.messageId)),
      30_000,
      'the reply',
    );
    expect(host.child.exitCode).toBeNull();
  });
});

function bytes(before: string, raw: number[], after: string): Buffer {
  return Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]);
}
