import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_CHANNELS } from '../../channels/index.js';
import { perTest } from '../../host/test-utils/cleanups.js';
import { startHostHarness } from '../host-harness.js';
import { failure, runCli } from '../test-utils.js';

const harness = perTest(startHostHarness);

describe('nanoclaw groups add --channel, against the real host', () => {
  it('binds a Telegram chat without a token, warning what to set', async () => {
    const added = await harness.run([
      'groups',
      'add',
      'family',
      '--channel',
      'telegram',
      '--chat',
      '-100123',
    ]);
    expect(added).toEqual({
      code: 0,
      stdout: 'added group family (provider mock)\n',
      stderr:
        'warning: telegram has no credentials configured on this host: set TELEGRAM_BOT_TOKEN in .env and restart the host. The chat -100123 is bound, but gets no answers until then.\n',
    });
    const list = await harness.run(['groups', 'list', '--json']);
    const family = (JSON.parse(list.stdout) as Array<{ folder: string; chats: unknown[] }>).find(
      (group) => group.folder === 'family',
    );
    expect(family?.chats).toContainEqual({
      channel: 'telegram',
      accountId: 'default',
      chatId: '-100123',
      name: null,
    });
  });

  it('warns for every chat platform, naming its keys (and the account suffix for a named account)', async () => {
    const keys = (channel: string) => {
      const found = BUILT_IN_CHANNELS.find((candidate) => candidate.channel === channel);
      return found?.requiredEnv ?? [];
    };
    expect(BUILT_IN_CHANNELS.map((channel) => channel.channel)).toEqual([
      'telegram',
      'slack',
      'discord',
      'whatsapp',
      'gmail',
    ]);
    const expected: Record<string, string> = {
      telegram: 'set TELEGRAM_BOT_TOKEN__WORK in .env',
      slack: 'set SLACK_BOT_TOKEN__WORK and SLACK_APP_TOKEN__WORK in .env',
      discord: 'set DISCORD_BOT_TOKEN__WORK in .env',
      whatsapp: 'set WHATSAPP_ENABLED__WORK=1 in .env',
      gmail: 'set GMAIL_CLIENT_ID__WORK and GMAIL_CLIENT_SECRET__WORK in .env',
    };
    for (const { channel } of BUILT_IN_CHANNELS) {
      expect(keys(channel).length).toBeGreaterThan(0);
      const added = await harness.run([
        'groups',
        'add',
        `g-${channel}`,
        '--channel',
        channel,
        '--chat',
        'c1',
        '--account',
        'work',
      ]);
      expect(added.code).toBe(0);
      expect(added.stderr).toContain(
        `warning: ${channel} account "work" has no credentials configured on this host`,
      );
      expect(added.stderr).toContain(expected[channel]);
    }
  });

  it('refuses a channel the host does not have, naming the ones it has', async () => {
    const refused = await harness.run(['groups', 'add', 'family', '--channel', 'telegarm', '--chat', '1']);
    expect(refused).toEqual(
      failure(
        'nanoclaw: chat.channel: this host has no channel "telegarm" (it knows local, telegram, slack, discord, whatsapp, gmail) (HTTP 400)\n',
      ),
    );
    expect((await harness.run(['groups', 'list', '--json'])).stdout).not.toContain('family');
  });
});

describe('nanoclaw groups bind, against the real host', () => {
  it('binds one more chat to an existing group, the main group too, and refuses a chat bound elsewhere', async () => {
    expect(await harness.run(['groups', 'bind', 'main', '--channel', 'telegram', '--chat', '1001'])).toEqual({
      code: 0,
      stdout: 'bound telegram:default:1001 to group main\n',
      stderr:
        'warning: telegram has no credentials configured on this host: set TELEGRAM_BOT_TOKEN in .env and restart the host. The chat 1001 is bound, but gets no answers until then.\n',
    });
    const list = JSON.parse((await harness.run(['groups', 'list', '--json'])).stdout) as Array<{
      folder: string;
      chats: Array<{ channel: string; chatId: string }>;
    }>;
    expect(list.find((group) => group.folder === 'main')?.chats).toContainEqual(
      expect.objectContaining({ channel: 'telegram', chatId: '1001' }),
    );
    await harness.run(['groups', 'add', 'family']);
    const taken = await harness.run(['groups', 'bind', 'family', '--channel', 'telegram', '--chat', '1001']);
    expect(taken).toEqual(
      failure(
        'nanoclaw: chat telegram:default:1001 is already bound to group "main"; unbind it first (HTTP 409)\n',
      ),
    );
    expect(await harness.run(['groups', 'bind', 'nosuch', '--channel', 'telegram', '--chat', '2'])).toEqual(
      failure('nanoclaw: no group "nosuch" (HTTP 404)\n'),
    );
  });
});

describe('nanoclaw groups remove, against the real host', () => {
  it('says that the folder is kept, where, and how to delete it', async () => {
    await harness.run(['groups', 'add', 'family']);
    const folder = path.join(harness.root, 'groups', 'family');
    expect(fs.existsSync(folder)).toBe(true);
    const removed = await harness.run(['groups', 'remove', 'family']);
    expect(removed).toEqual({
      code: 0,
      stdout: [
        'removed group family; its scheduled tasks are cancelled',
        `its folder is kept: ${folder}`,
        `  to delete it too: rm -r ${folder}`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(fs.existsSync(folder)).toBe(true);
    expect((await harness.run(['groups', 'list', '--json'])).stdout).not.toContain('"family"');
  });
});

describe('nanoclaw groups config, against the real host', () => {
  const settingsFile = () => path.join(harness.root, 'groups', 'main.container.json');

  it('prints {} without a settings file, then writes one from a file and prints it', async () => {
    expect(await harness.run(['groups', 'config', 'main'])).toEqual({ code: 0, stdout: '{}\n', stderr: '' });
    const input = path.join(harness.root, 'settings.json');
    fs.writeFileSync(input, JSON.stringify({ model: 'gpt-5', timeouts: { turnMs: 60_000 } }));
    const set = await harness.run(['groups', 'config', 'main', '--set', input]);
    expect(set).toEqual({
      code: 0,
      stdout: '{\n  "model": "gpt-5",\n  "timeouts": {\n    "turnMs": 60000\n  }\n}\n',
      stderr: 'wrote groups/main.container.json\n',
    });
    expect(JSON.parse(fs.readFileSync(settingsFile(), 'utf8'))).toEqual({
      model: 'gpt-5',
      timeouts: { turnMs: 60_000 },
    });
    expect(fs.statSync(settingsFile()).mode & 0o777).toBe(0o644);
    expect(JSON.parse((await harness.run(['groups', 'config', 'main', '--json'])).stdout)).toEqual({
      folder: 'main',
      config: { model: 'gpt-5', timeouts: { turnMs: 60_000 } },
      error: null,
    });
  });

  it('reads the new settings from stdin with --set -', async () => {
    const run = await runCli(['groups', 'config', 'main', '--set', '-'], {
      loadConfig: () => harness.config,
      env: {},
      stdin: Readable.from([Buffer.from('{"network": "none"}')]),
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(settingsFile(), 'utf8'))).toEqual({ network: 'none' });
  });

  it('refuses invalid settings naming the key, and writes nothing', async () => {
    const input = path.join(harness.root, 'bad.json');
    fs.writeFileSync(input, JSON.stringify({ mcpServers: { notes: { command: '' } } }));
    const run = await harness.run(['groups', 'config', 'main', '--set', input]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^nanoclaw: groups\/main\.container\.json: mcpServers\.notes(\.command)?: .* \(HTTP 400\)\n$/,
    );
    expect(fs.existsSync(settingsFile())).toBe(false);
    fs.writeFileSync(input, 'not json');
    expect((await harness.run(['groups', 'config', 'main', '--set', input])).stderr).toMatch(
      /^nanoclaw: .*bad\.json is not JSON: /,
    );
  });

  it('shows a broken settings file as it is, and why it is invalid', async () => {
    fs.writeFileSync(settingsFile(), JSON.stringify({ provdier: 'codex' }));
    const run = await harness.run(['groups', 'config', 'main']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('{\n  "provdier": "codex"\n}\n');
    expect(run.stderr).toMatch(
      /^✗ invalid, the group is not served until it is fixed: groups\/main\.container\.json: provdier: /,
    );
  });
});
