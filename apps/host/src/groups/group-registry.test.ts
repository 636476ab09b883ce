import fs from 'node:fs';
import path from 'node:path';
import { createSqliteTaskStore } from '@nanoclaw/db';
import { createScheduler } from '@nanoclaw/scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import { perTest } from '../host/test-utils/cleanups.js';
import { GroupError } from './group-error.js';
import { createGroupRegistry, type GroupRegistry } from './group-registry.js';
import { createRecordingLogger, createTestEnv, type RecordingLogger, telegramChat } from './test-support.js';

const env = perTest(createTestEnv);
let registry: GroupRegistry;
let logger: RecordingLogger;
let ids = 0;

beforeEach(async () => {
  logger = createRecordingLogger();
  ids = 0;
  registry = createGroupRegistry({
    db: env.database.db,
    groupsDir: env.groupsDir,
    logger,
    generateId: () => `g${++ids}`,
  });
});

/** The group's settings file, beside its folder (`groups/<folder>.container.json`). */
function writeConfig(folder: string, content: string): void {
  fs.writeFileSync(path.join(env.groupsDir, `${folder}.container.json`), content);
}

async function expectGroupError(promise: Promise<unknown>, code: GroupError['code'], message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GroupError);
  expect((error as GroupError).code).toBe(code);
  expect((error as GroupError).message).toMatch(message);
}

describe('adding and removing groups', () => {
  it('creates the folder, a starter AGENTS.md and the row', async () => {
    const group = await registry.add({ folder: 'family', name: 'Family chat' });
    expect(group).toMatchObject({
      id: 'g1',
      folder: 'family',
      name: 'Family chat',
      isMain: false,
      trigger: null,
      agentProvider: null,
      containerConfig: null,
      configError: null,
    });
    expect(fs.readFileSync(path.join(env.groupsDir, 'family', 'AGENTS.md'), 'utf8')).toContain('Family chat');
    expect((await registry.list()).map((g) => g.folder)).toEqual(['family']);
    expect(await registry.get('family')).toMatchObject({ id: 'g1' });
    expect(await registry.getById('g1')).toMatchObject({ folder: 'family' });
  });

  it.each(['../etc', 'a/b', '', '-dash', 'global', 'GLOBAL', 'x'.repeat(65), 'has space'])(
    'refuses the folder name %j with a clear error and touches no path',
    async (folder) => {
      const before = fs.readdirSync(env.root);
      await expectGroupError(registry.add({ folder }), 'invalid', /^group folder ".*" (must be|is reserved)/);
      expect(fs.readdirSync(env.root)).toEqual(before);
      expect(fs.readdirSync(env.groupsDir)).toEqual([]);
      expect(await registry.list()).toEqual([]);
    },
  );

  it('refuses a duplicate folder, a second main group, a bad trigger and a bad provider', async () => {
    await registry.add({ folder: 'main', isMain: true });
    await expectGroupError(registry.add({ folder: 'main' }), 'conflict', /already exists/);
    await expectGroupError(
      registry.add({ folder: 'other', isMain: true }),
      'conflict',
      /already the main group/,
    );
    await expectGroupError(
      registry.add({ folder: 'x', trigger: '(unclosed' }),
      'invalid',
      /trigger is not a valid/,
    );
    await expectGroupError(
      registry.add({ folder: 'y', provider: 'Claude!' }),
      'invalid',
      /provider "Claude!"/,
    );
    expect((await registry.list()).map((g) => g.folder)).toEqual(['main']);
    expect((await registry.getMain())?.folder).toBe('main');
  });

  it('stores trigger and provider', async () => {
    const group = await registry.add({ folder: 'ops', trigger: '^!ops\\b', provider: 'codex' });
    expect(group).toMatchObject({ trigger: '^!ops\\b', agentProvider: 'codex' });
  });

  it('refuses a group folder that is a symlink', async () => {
    fs.mkdirSync(path.join(env.root, 'elsewhere'));
    fs.symlinkSync(path.join(env.root, 'elsewhere'), path.join(env.groupsDir, 'linked'));
    await expectGroupError(registry.add({ folder: 'linked' }), 'conflict', /symlink/);
  });

  it('refuses to remove the main group, and a missing group is not-found', async () => {
    await registry.add({ folder: 'main', isMain: true });
    await expectGroupError(registry.remove('main'), 'forbidden', /main group cannot be removed/);
    await expectGroupError(registry.remove('nope'), 'not-found', /no group with folder "nope"/);
  });

  it('removes a group with its bindings and tasks, keeping the folder on disk', async () => {
    const scheduler = createScheduler({
      store: createSqliteTaskStore(env.database.db),
      timezone: 'UTC',
      onRun: () => undefined,
    });
    registry = createGroupRegistry({ db: env.database.db, groupsDir: env.groupsDir, tasks: scheduler });
    const group = await registry.add({ folder: 'family', chat: { ref: telegramChat('42') } });
    const task = await scheduler.createTask({
      groupId: group.id,
      prompt: 'hello',
      schedule: { kind: 'interval', everyMs: 60_000 },
    });
    fs.writeFileSync(path.join(env.groupsDir, 'family', 'notes.md'), 'keep me');

    await registry.remove('family');

    expect(await registry.get('family')).toBeUndefined();
    expect(await registry.findBinding(telegramChat('42'))).toBeUndefined();
    expect(await scheduler.getTask(task.id)).toBeUndefined();
    expect(scheduler.nextWakeAt()).toBeNull();
    expect(fs.readFileSync(path.join(env.groupsDir, 'family', 'notes.md'), 'utf8')).toBe('keep me');
    await scheduler.stop();
  });
});

describe('group settings (groups/<folder>.container.json)', () => {
  beforeEach(async () => {
    await registry.add({ folder: 'good' });
    await registry.add({ folder: 'bad' });
  });

  it('parses a valid file with defaults', async () => {
    writeConfig('good', JSON.stringify({ provider: 'codex', network: 'none' }));
    const group = await registry.refresh('good');
    expect(group.configError).toBeNull();
    expect(group.containerConfig).toMatchObject({
      provider: 'codex',
      network: 'none',
      followUpMode: 'queue',
    });
    const row = await env.database.db
      .selectFrom('agent_groups')
      .select('container_config')
      .where('folder', '=', 'good')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.container_config ?? 'null')).toMatchObject({ provider: 'codex' });
  });

  it.each([
    ['{"timeouts":{"turnMs":5}}', 'timeouts.turnMs', /1000/],
    ['{"netwrk":"none"}', 'netwrk', /Unrecognized key/],
    ['{"provider":"Bad Id"}', 'provider', /lower-case provider id/],
    ['{"trigger":"(oops"}', 'trigger', /not a valid regular expression/],
    ['{ not json', '', /not valid JSON/],
  ])('reports %s as a per-group error naming file and key', async (content, key, message) => {
    writeConfig('good', '{}');
    writeConfig('bad', content);
    const bad = await registry.refresh('bad');
    expect(bad.configError).toMatchObject({ file: 'bad.container.json', key });
    expect(bad.configError?.message).toMatch(message);
    expect(bad.containerConfig).toBeNull();
    const good = await registry.get('good');
    expect(good?.configError).toBeNull();
    expect(good?.containerConfig).not.toBeNull();
    expect(logger.lines.some((l) => l.level === 'error' && l.message.includes('"bad" is not served'))).toBe(
      true,
    );
  });

  it('never reads a container.json inside the group folder (the agent can write there)', async () => {
    fs.writeFileSync(path.join(env.groupsDir, 'good', 'container.json'), '{"provider":"codex"}');
    const good = await registry.refresh('good');
    expect(good.configError).toBeNull();
    expect(good.containerConfig).toBeNull();
  });

  it('refuses a settings file that is a symlink', async () => {
    const secret = path.join(env.root, 'secret.json');
    fs.writeFileSync(secret, '{"provider":"codex"}');
    fs.symlinkSync(secret, path.join(env.groupsDir, 'bad.container.json'));
    const bad = await registry.refresh('bad');
    expect(bad.configError).toMatchObject({ file: 'bad.container.json', key: '' });
    expect(bad.configError?.message).toMatch(/symlink/);
    expect(bad.containerConfig).toBeNull();
  });

  it('re-reads a changed file on the next access', async () => {
    writeConfig('bad', '{"netwrk":1}');
    expect((await registry.get('bad'))?.configError).not.toBeNull();
    writeConfig('bad', '{"network":"proxy"}');
    const fixed = await registry.get('bad');
    expect(fixed?.configError).toBeNull();
    expect(fixed?.containerConfig?.network).toBe('proxy');
  });
});

describe('sync', () => {
  it('registers the main folder when no main group exists', async () => {
    fs.mkdirSync(path.join(env.groupsDir, 'main'));
    const report = await registry.sync();
    expect(report.groups).toMatchObject([{ id: 'main', folder: 'main', isMain: true, configError: null }]);
  });

  it('creates folders of registered groups that are missing and reports strays', async () => {
    await registry.add({ folder: 'main', isMain: true });
    await registry.add({ folder: 'family' });
    fs.rmSync(path.join(env.groupsDir, 'family'), { recursive: true });
    fs.mkdirSync(path.join(env.groupsDir, 'global'));
    fs.mkdirSync(path.join(env.groupsDir, 'newcomer'));
    fs.mkdirSync(path.join(env.groupsDir, 'bad name'));
    fs.mkdirSync(path.join(env.groupsDir, '.git'));
    fs.symlinkSync(env.root, path.join(env.groupsDir, 'linky'));
    fs.writeFileSync(path.join(env.groupsDir, 'README.md'), 'x');

    const report = await registry.sync();

    expect(report.createdFolders).toEqual(['family']);
    expect(fs.statSync(path.join(env.groupsDir, 'family')).isDirectory()).toBe(true);
    expect(report.unregistered).toEqual(['newcomer']);
    expect(report.invalidFolders).toEqual(
      expect.arrayContaining([
        { name: 'bad name', error: expect.stringMatching(/^group folder "bad name" must be/) },
        { name: 'linky', error: 'is a symlink' },
      ]),
    );
    expect(report.invalidFolders).toHaveLength(2);
    expect(report.groups.map((g) => g.folder)).toEqual(['main', 'family']);
  });

  it('marks a group whose stored folder name is invalid without building a path from it', async () => {
    const now = Date.now();
    await env.database.db
      .insertInto('agent_groups')
      .values({ id: 'evil', folder: '../../etc', name: 'x', is_main: 0, created_at: now, updated_at: now })
      .execute();
    const report = await registry.sync();
    const evil = report.groups.find((g) => g.id === 'evil');
    expect(evil?.configError).toMatchObject({ file: '(database)', key: 'folder' });
    expect(fs.existsSync(path.join(env.groupsDir, '../../etc/AGENTS.md'))).toBe(false);
  });

  it('a removed group stays removed: its folder is only reported as unregistered', async () => {
    await registry.add({ folder: 'family' });
    await registry.remove('family');
    const report = await registry.sync();
    expect(report.unregistered).toEqual(['family']);
    expect(await registry.get('family')).toBeUndefined();
  });
});

describe('chat bindings', () => {
  beforeEach(async () => {
    await registry.add({ folder: 'main', isMain: true });
    await registry.add({ folder: 'family' });
  });

  it('binds a chat with an optional sender allowlist, and rebinding the same group updates it', async () => {
    await registry.bindChat(telegramChat('1'), 'family', { name: 'Family', senderAllowlist: ['alice'] });
    expect(await registry.findBinding(telegramChat('1'))).toEqual({
      channel: 'telegram',
      accountId: 'default',
      chatId: '1',
      groupId: 'g2',
      name: 'Family',
      senderAllowlist: ['alice'],
    });
    await registry.bindChat(telegramChat('1'), 'family', { senderAllowlist: null });
    expect((await registry.findBinding(telegramChat('1')))?.senderAllowlist).toBeNull();
    expect(await registry.listBindings({ groupId: 'g2' })).toHaveLength(1);
  });

  it('refuses binding a chat that another group owns, and an unknown group', async () => {
    await registry.bindChat(telegramChat('1'), 'family');
    await expectGroupError(
      registry.bindChat(telegramChat('1'), 'main'),
      'conflict',
      /already bound to group "family"/,
    );
    await expectGroupError(registry.bindChat(telegramChat('2'), 'ghost'), 'not-found', /ghost/);
    await expectGroupError(
      registry.bindChat({ channel: 'tele:gram', accountId: 'a', chatId: '1' }, 'family'),
      'invalid',
      /must not contain ":"/,
    );
  });

  it('adding a group with a chat that is already bound creates nothing', async () => {
    await registry.bindChat(telegramChat('1'), 'family');
    await expectGroupError(
      registry.add({ folder: 'work', chat: { ref: telegramChat('1') } }),
      'conflict',
      /already bound/,
    );
    expect(await registry.get('work')).toBeUndefined();
  });

  it('unbinds', async () => {
    await registry.bindChat(telegramChat('1'), 'family');
    expect(await registry.unbindChat(telegramChat('1'))).toBe(true);
    expect(await registry.unbindChat(telegramChat('1'))).toBe(false);
    expect(await registry.findBinding(telegramChat('1'))).toBeUndefined();
  });

  it('binds local:default:<folder> implicitly, and nothing else on the local channel', async () => {
    expect(
      await registry.findBinding({ channel: 'local', accountId: 'default', chatId: 'family' }),
    ).toMatchObject({
      groupId: 'g2',
      senderAllowlist: null,
    });
    expect(
      await registry.findBinding({ channel: 'local', accountId: 'default', chatId: 'nope' }),
    ).toBeUndefined();
    expect(
      await registry.findBinding({ channel: 'local', accountId: 'other', chatId: 'family' }),
    ).toBeUndefined();
    expect(
      await registry.findBinding({ channel: 'local', accountId: 'default', chatId: '../x' }),
    ).toBeUndefined();
  });
});
