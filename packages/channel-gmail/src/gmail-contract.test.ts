import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createChannelRegistry } from '@nanoclaw/channel-registry';
import {
  type ChannelContractDriver,
  type ContractInjected,
  channelContract,
  channelFactoryContract,
} from '@nanoclaw/testing';
import { accountDir, writeToken } from './account-store.js';
import { GMAIL_ENV, gmailChannel } from './factory.js';
import { createFakeGmailServer, type FakeGmailServer } from './fake-gmail-server.js';
import { createGmailChannel } from './gmail-channel.js';

function driverFor(server: FakeGmailServer): ChannelContractDriver {
  return {
    async injectText(input) {
      const sender = input.sender ?? { id: 'alice@example.com', name: 'Alice Example' };
      // Mail to the assistant (To:) addresses it; a Cc leaves it a bystander.
      const mail = await server.inject({
        threadId: input.chatId,
        from: `${sender.name ?? 'User'} <${sender.id}>`,
        to: input.mention ? server.email : 'team@example.com',
        ...(input.mention ? {} : { cc: server.email }),
        text: input.text,
        ...(input.attachment ? { attachments: [input.attachment] } : {}),
      });
      return { chatId: mail.threadId, platformMessageId: mail.id, senderId: sender.id, text: input.text };
    },
    async redeliver(message: ContractInjected) {
      server.redeliver(message.platformMessageId);
    },
    isAcknowledged: (message) => server.isHandled(message.platformMessageId),
    sentTexts: () =>
      server.sent.map((s) => ({
        chatId: s.threadId,
        text: s.text,
        platformMessageId: s.id,
        ...(s.inReplyTo ? { replyTo: s.inReplyTo } : {}),
      })),
    typingEvents: () => [],
    uploads: () =>
      server.sent.flatMap((s) =>
        s.attachments.map((a) => ({ chatId: s.threadId, name: a.name, content: a.content, caption: s.text })),
      ),
    failNextSend(retryAfterMs) {
      server.failNext({
        method: 'POST',
        pathIncludes: '/messages/send',
        status: 429,
        retryAfter: Math.ceil(retryAfterMs / 1000),
      });
    },
    async dropConnection() {
      server.dropConnections();
    },
  };
}

/** A fake with one thread the assistant is part of (started before the adapter, so not delivered). */
async function fakeWithThread() {
  const server = await createFakeGmailServer();
  const thread = await server.inject({ subject: 'Contract thread', text: 'Let us talk here.' });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-gmail-contract-'));
  await writeToken(accountDir(dataDir, 'default'), { refreshToken: server.refreshToken });
  return { server, thread, dataDir };
}

channelContract({
  name: 'gmail',
  rateLimit: 'error',
  cards: false,
  directChats: false,
  async setup() {
    const { server, thread, dataDir } = await fakeWithThread();
    const adapter = createGmailChannel({
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      accountDir: accountDir(dataDir, 'default'),
      apiRoot: server.url,
      tokenUrl: server.tokenUrl,
      pollIntervalMs: 50,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    return {
      adapter,
      driver: driverFor(server),
      chatId: thread.threadId,
      readAttachment: (ref) => adapter.downloadAttachment(ref),
      async teardown() {
        await server.close();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});

channelFactoryContract({
  channel: 'gmail',
  requiredEnv: [GMAIL_ENV.clientId, GMAIL_ENV.clientSecret],
  registeredFactory: () => createChannelRegistry([gmailChannel, gmailChannel]).get('gmail'),
  async startFake() {
    const { server, thread, dataDir } = await fakeWithThread();
    return {
      env: {
        GMAIL_CLIENT_ID: server.clientId,
        GMAIL_CLIENT_SECRET: server.clientSecret,
        GMAIL_API_ROOT: server.url,
        GMAIL_TOKEN_URL: server.tokenUrl,
        NANOCLAW_DATA_DIR: dataDir,
      },
      chatId: thread.threadId,
      async close() {
        await server.close();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});
