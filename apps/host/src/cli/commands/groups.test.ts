import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_CHANNELS } from '../../channels/index.js';
import { perTest } from '../../host/test-utils/cleanups.js';
import { startHostHarness } from '../host-harness.js';
import { failure } from '../test-utils.js';

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
    ]);
    const expected: Record<string, string> = {
      telegram: 'set TELEGRAM_BOT_TOKEN__WORK in .env',
      slack: 'set SLACK_BOT_TOKEN__WORK and SLACK_APP_TOKEN__WORK in .env',
      discord: 'set DISCORD_BOT_TOKEN__WORK in .env',
      whatsapp: 'set WHATSAPP_ENABLED__WORK=1 in .env',
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
        'nanoclaw: chat.channel: this host has no channel "telegarm" (it knows local, telegram, slack, discord, whatsapp) (HTTP 400)\n',
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
