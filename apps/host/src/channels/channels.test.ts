import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelFactory,
  type ChannelHost,
  type OutboundMessage,
} from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostClient } from '../cli/index.js';
import { loadConfig } from '../config.js';
import { createHost, type RunningHost } from '../host/compose-host.js';
import { createDefaultPool } from '../host/default-pool.js';
import { until } from '../host/e2e-host.js';
import { readApiToken } from '../http/index.js';
import { createLogger } from '../logger.js';

/** A chat platform in memory: what the host sees of any channel package. */
function memoryChannel() {
  const sent: OutboundMessage[] = [];
  let host: ChannelHost | undefined;
  const adapter: ChannelAdapter = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: 'memchat',
    accountId: 'default',
    limits: { maxTextLength: 4096, attachments: false, typingIndicator: false },
    start: async (h) => {
      host = h;
    },
    stop: async () => {
      host = undefined;
    },
    send: async (message) => {
      sent.push(message);
      return { platformMessageIds: [`out-${sent.length}`] };
    },
  };
  const factory: ChannelFactory = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: 'memchat',
    requiredEnv: ['MEMCHAT_TOKEN'],
    create: ({ env }) => (env.MEMCHAT_TOKEN ? adapter : { skipped: 'no MEMCHAT_TOKEN' }),
  };
  const say = (id: string, text: string) =>
    host!.receive({
      channel: 'memchat',
      chatId: 'chat-1',
      platformMessageId: id,
      sender: { id: 'u1', name: 'Ann' },
      text,
      sentAt: new Date().toISOString(),
    });
  return { factory, sent, say };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('chat platforms through the host', () => {
  it('starts a channel with credentials, answers its chat, and ignores a redelivered message', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-channels-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const config = {
      ...loadConfig({
        env: { NANOCLAW_HTTP_PORT: '0', AGENT_PROVIDER: 'mock', LOG_LEVEL: 'silent', TZ: 'UTC' },
        cwd: root,
        envFile: path.join(root, '.env'),
      }),
      channelEnv: { MEMCHAT_TOKEN: 'x' },
    };
    const chat = memoryChannel();
    const host: RunningHost = await createHost({
      config,
      logger: createLogger({ level: 'silent', format: 'json' }),
      createPool: createDefaultPool,
      runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }),
      channels: [chat.factory],
    });
    cleanups.push(() => host.stop());
    const client = createHostClient({
      baseUrl: host.url,
      token: () => readApiToken(config.NANOCLAW_DATA_DIR),
      tokenSource: 'test',
    });
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
