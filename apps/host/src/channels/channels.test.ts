import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { until } from '../host/test-utils/e2e-host.js';
import { createMemoryChannel, startHostWithChannel } from '../host/test-utils/memory-channel.js';

const cleanups = useCleanups();

describe('chat platforms through the host', () => {
  it('starts a channel with credentials, answers its chat, and ignores a redelivered message', async () => {
    const root = cleanups.scratch('nanoclaw-channels');
    const chat = createMemoryChannel();
    const { host, client } = await startHostWithChannel(root, chat);
    cleanups.add(() => host.stop());
    await client.addGroup({
      folder: 'family',
      name: 'Family',
      chat: { channel: 'memchat', chatId: 'chat-1' },
    });

    expect((await client.status()).channels).toEqual([
      { channel: 'local', accountId: 'default', connected: true },
      { channel: 'memchat', accountId: 'default', connected: true },
    ]);

    expect(await chat.say('m1', '@Andy hello')).toEqual({ duplicate: false });
    await until(() => chat.sent.length === 1, 30_000);
    expect(chat.sent[0]).toMatchObject({
      channel: 'memchat',
      chatId: 'chat-1',
      text: 'Mock reply to: @Andy hello',
    });

    expect(await chat.say('m1', '@Andy hello')).toEqual({ duplicate: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(chat.sent).toHaveLength(1);
  }, 60_000);
});
