import fs from 'node:fs';
import path from 'node:path';
import type { InboundMessageInput } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { configFor, runCli, silentLogger, tempDir } from '../cli/test-utils.js';
import { ensureApiToken } from '../http/api-token.js';
import { createHttpApi } from '../http/http-api.js';
import { createFakeHostApi } from '../http/test-utils.js';
import { createHostEventBus } from './host-event-bus.js';
import { createLocalChannel } from './local-channel.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The way the host composes the surfaces: one bus; `HostApi.postMessage` hands the message to the local
 * channel, whose platform id is the message id; the outbox's `send` on the channel publishes the reply.
 */
describe('local channel + HTTP API + CLI', () => {
  it('carries `nanoclaw send --wait` to the agent and its reply back', async () => {
    const bus = createHostEventBus();
    const channel = createLocalChannel({ bus });
    const api = createFakeHostApi();
    api.subscribe = (folder, listener) => bus.subscribe(folder, listener);
    // The host's side: store the message, "run the agent", and deliver its reply through the channel.
    await channel.start({
      logger: silentLogger,
      receiveAction: async () => ({ accepted: false, text: 'no cards here' }),
      receive: async (message: InboundMessageInput) => {
        setTimeout(() => {
          bus.publish({
            type: 'run-start',
            folder: message.chatId,
            runId: 'r1',
            inReplyTo: [message.platformMessageId],
          });
          void channel.send({
            channel: 'local',
            accountId: 'default',
            chatId: message.chatId,
            text: `echo: ${message.text}`,
            replyToPlatformMessageId: message.platformMessageId,
            idempotencyKey: 'out-1',
          });
          bus.publish({ type: 'run-end', folder: message.chatId, runId: 'r1', status: 'succeeded' });
        }, 10);
        return { duplicate: false };
      },
    });
    api.postMessage = async (folder, input) => {
      const delivery = await channel.deliver(folder, { ...input, mentionsAssistant: true });
      return { messageId: delivery.platformMessageId, willReply: true };
    };

    const root = tempDir();
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    const httpApi = createHttpApi({ api, token: ensureApiToken(dataDir), logger: silentLogger, port: 0 });
    const port = Number(new URL(await httpApi.listen()).port);
    cleanups.push(() => httpApi.close());
    const config = configFor(root, { NANOCLAW_HTTP_PORT: String(port) });

    const result = await runCli(['send', '--group', 'main', '--wait', 'ping'], {
      loadConfig: () => config,
      env: {},
    });
    expect(result).toEqual({ code: 0, stdout: 'echo: ping\n', stderr: '' });
  });
});
