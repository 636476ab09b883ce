import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import type { HostStatus } from '../../host-api.js';
import { createCliHarness, failure } from '../test-utils.js';
import { formatStatus } from './status.js';

const harness = perTest(createCliHarness);

describe('nanoclaw status', () => {
  it('prints groups with provider and source, runtime, channels and queue', async () => {
    const result = await harness.run(['status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`NanoClaw 0.1.0 on http://127.0.0.1:${harness.port}, up 1m5s`);
    expect(result.stdout).toContain('runtime: docker (Docker 27.0)');
    expect(result.stdout).toContain('  ✓ local/default');
    expect(result.stdout).toMatch(/main \* +Main +claude \(credentials\) +0 running, 0 queued +none /);
  });

  it('prints JSON with --json', async () => {
    const result = await harness.run(['status', '--json']);
    const status = JSON.parse(result.stdout) as HostStatus;
    expect(status.groups.map((group) => group.folder)).toEqual(['main', 'family']);
  });

  it('shows a missing runtime and a broken container.json', () => {
    const status: HostStatus = {
      version: '1.0.0',
      startedAt: 0,
      runtime: { name: null, error: 'docker is not running' },
      groups: [
        {
          folder: 'work',
          name: 'Work',
          isMain: false,
          trigger: '@Andy',
          access: 'members',
          provider: { id: 'codex', source: 'container.json' },
          configError: 'provider: unknown',
          chats: [{ channel: 'telegram', accountId: 'default', chatId: '-100', name: 'Team' }],
          queued: 2,
          sandbox: 'busy',
          lastError: { message: 'the model is\ndown', at: 3_000_000 },
          running: 1,
        },
      ],
      channels: [{ channel: 'telegram', accountId: 'default', connected: false, detail: 'token rejected' }],
    };
    const text = formatStatus(status, 'http://127.0.0.1:7420', 3_600_000);
    expect(text).toContain('up 1h');
    expect(text).toContain('runtime: ✗ none: docker is not running');
    expect(text).toContain('✗ telegram/default  token rejected');
    expect(text).toMatch(
      /work +Work +codex \(container.json\) +1 running, 2 queued +busy +members +telegram:-100 \(Team\)/,
    );
    expect(text).toContain(
      '✗ work: groups/work.container.json is invalid, the group is not served: provider: unknown',
    );
    expect(text).toContain('! work: last error 10m ago: the model is down');
  });
});

describe('nanoclaw groups', () => {
  it('lists, adds (bound to a chat) and removes', async () => {
    const list = await harness.run(['groups', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^FOLDER +NAME +PROVIDER +TRIGGER +ACCESS +CHATS$/);
    const added = await harness.run([
      'groups',
      'add',
      'work',
      '--name',
      'Work',
      '--provider',
      'codex',
      '--channel',
      'telegram',
      '--chat',
      '-100123',
    ]);
    expect(added).toEqual({ code: 0, stdout: 'added group work (provider codex)\n', stderr: '' });
    expect(harness.api.groups.at(-1)).toMatchObject({
      folder: 'work',
      chats: [{ channel: 'telegram', chatId: '-100123', accountId: 'default' }],
    });
    const json = await harness.run(['groups', 'list', '--json']);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(3);
    expect(await harness.run(['groups', 'remove', 'work'])).toEqual({
      code: 0,
      stdout: [
        'removed group work; its scheduled tasks are cancelled',
        'its folder is kept: /srv/nanoclaw/groups/work',
        '  to delete it too: rm -r /srv/nanoclaw/groups/work',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('reports the host’s refusal and a usage mistake', async () => {
    const conflict = await harness.run(['groups', 'add', 'main']);
    expect(conflict).toEqual({ code: 1, stdout: '', stderr: 'nanoclaw: group "main" exists (HTTP 409)\n' });
    const invalid = await harness.run(['groups', 'add', 'bad folder!']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('folder: must be 1-64 characters');
    const half = await harness.run(['groups', 'add', 'work', '--channel', 'telegram']);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--channel and --chat go together');
    expect((await harness.run(['groups', 'remove', 'main'])).stderr).toContain(
      'cannot be removed (HTTP 403)',
    );
  });
});

describe('nanoclaw tasks and runs', () => {
  it('adds tasks with --every, --cron and --at, and lists them', async () => {
    const every = await harness.run([
      'tasks',
      'add',
      '--group',
      'main',
      '--prompt',
      'check mail',
      '--every',
      '15m',
    ]);
    expect(every.code).toBe(0);
    expect(every.stdout).toMatch(
      /^added task task-1 +main +active +every 15m +next: \d{4}-\d\d-\d\d \d\d:\d\d\n$/,
    );
    await harness.run([
      'tasks',
      'add',
      '--group',
      'family',
      '--prompt',
      'news',
      '--cron',
      '0 9 * * 1-5',
      '--tz',
      'Europe/Paris',
      '--context',
      'isolated',
    ]);
    await harness.run(['tasks', 'add', '--group', 'main', '--prompt', 'once', '--at', '2030-01-01T09:00']);
    expect(harness.api.tasks.map((task) => task.schedule)).toEqual([
      { kind: 'interval', everyMs: 900_000 },
      { kind: 'cron', expression: '0 9 * * 1-5' },
      { kind: 'once', at: '2030-01-01T09:00' },
    ]);
    expect(harness.api.tasks[1]).toMatchObject({ timezone: 'Europe/Paris', contextMode: 'isolated' });
    const list = await harness.run(['tasks', 'list', '--group', 'family']);
    expect(list.stdout).toMatch(/task-2 +family +active +cron 0 9 \* \* 1-5 \(Europe\/Paris\)/);
    expect(list.stdout).not.toContain('task-1');
    const json = await harness.run(['tasks', 'list', '--json']);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(3);
  });

  it('pauses, resumes and cancels', async () => {
    await harness.run(['tasks', 'add', '--group', 'main', '--prompt', 'p', '--every', '1h']);
    expect((await harness.run(['tasks', 'pause', 'task-1'])).stdout).toMatch(/^task-1 +main +paused/);
    expect((await harness.run(['tasks', 'resume', 'task-1'])).stdout).toMatch(/active/);
    expect((await harness.run(['tasks', 'cancel', 'task-1'])).stdout).toMatch(/cancelled .*next: -/);
    expect(await harness.run(['tasks', 'cancel', 'task-9'])).toEqual(
      failure('nanoclaw: no task "task-9" (HTTP 404)\n'),
    );
  });

  it('refuses a missing, doubled or malformed schedule before calling the host', async () => {
    const none = await harness.run(['tasks', 'add', '--group', 'main', '--prompt', 'p']);
    const both = await harness.run([
      'tasks',
      'add',
      '--group',
      'main',
      '--prompt',
      'p',
      '--every',
      '1h',
      '--cron',
      '* * * * *',
    ]);
    const bad = await harness.run(['tasks', 'add', '--group', 'main', '--prompt', 'p', '--every', 'often']);
    const missing = await harness.run(['tasks', 'add', '--prompt', 'p', '--every', '1h']);
    expect([none.code, both.code, bad.code, missing.code]).toEqual([2, 2, 2, 1]);
    expect(bad.stderr).toContain('--every must be a duration such as 15m');
    expect(missing.stderr).toContain("required option '--group <folder>'");
    expect(harness.api.tasks).toEqual([]);
  });

  it('lists runs', async () => {
    harness.api.runs.push({
      id: 'run-1',
      taskId: 'task-1',
      scheduledFor: Date.UTC(2030, 0, 1, 9),
      startedAt: Date.UTC(2030, 0, 1, 9, 0, 2),
      finishedAt: Date.UTC(2030, 0, 1, 9, 1, 32),
      status: 'failed',
      late: true,
      durationMs: 90_000,
      resultSummary: null,
      error: 'the sandbox ran out of memory',
    });
    const result = await harness.run(['runs', 'list', '--task', 'task-1', '--limit', '5']);
    expect(result.stdout).toMatch(
      /run-1 +task-1 +failed \(late\) +2030-01-01 09:00 +1m30s +the sandbox ran out of memory/,
    );
    expect((await harness.run(['runs', 'list', '--task', 'nope'])).stdout).toBe('no runs\n');
    expect((await harness.run(['runs', 'list', '--limit', '0'])).code).toBe(2);
  });
});
