import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ChannelContractDriver, channelContract } from '@nanoclaw/testing';
import type { WAMessage } from 'baileys';
import {
  boom,
  createFakeWhatsApp,
  FAKE_GROUP,
  type FakeWhatsApp,
  userText,
} from './test-utils/fake-whatsapp.js';
import { createWhatsAppChannel } from './whatsapp-channel.js';

function driverFor(fake: FakeWhatsApp): ChannelContractDriver {
  const delivered = new Map<string, WAMessage>();
  return {
    async injectText(input) {
      const from = input.sender ? { jid: input.sender.id, name: input.sender.name ?? 'User' } : undefined;
      const message = userText({
        chatId: input.chatId,
        text: input.text,
        mention: input.mention === true,
        ...(from ? { from } : {}),
      });
      if (input.attachment) {
        const { name, mimeType, content } = input.attachment;
        message.message = fake.document(
          name,
          mimeType,
          content,
          input.text,
        ) as unknown as WAMessage['message'];
      }
      fake.deliver(message);
      const id = message.key.id as string;
      delivered.set(id, message);
      const text = message.message?.conversation ?? message.message?.extendedTextMessage?.text ?? input.text;
      return {
        chatId: input.chatId,
        platformMessageId: id,
        senderId: message.key.participant ?? input.chatId,
        text,
      };
    },
    async redeliver(injected) {
      const message = delivered.get(injected.platformMessageId);
      if (message) fake.deliver(message);
    },
    isAcknowledged: (injected) => fake.reads.some((key) => key.id === injected.platformMessageId),
    sentTexts: () =>
      fake.sent.flatMap((s) =>
        'text' in s.content ? [{ chatId: s.jid, text: s.content.text, platformMessageId: s.id }] : [],
      ),
    typingEvents: () =>
      fake.presences.filter((p) => p.type === 'composing').map((p) => ({ chatId: p.jid ?? '' })),
    uploads: () =>
      fake.sent.flatMap((s) => {
        const content = s.content as {
          document?: Buffer;
          image?: Buffer;
          fileName?: string;
          caption?: string;
        };
        const bytes = content.document ?? content.image;
        if (!bytes) return [];
        return [
          {
            chatId: s.jid,
            name: content.fileName ?? 'image',
            content: bytes,
            ...(content.caption ? { caption: content.caption } : {}),
          },
        ];
      }),
    failNextSend(retryAfterMs) {
      fake.failNextSend(boom(429, 'rate-overlimit', { retryAfterMs }));
    },
    async dropConnection() {
      fake.drop();
    },
    // A user's direct chat is their JID; WhatsApp has no buttons (no `cards`: the host sends numbered lists).
    directChats: { isDirectChatWith: (chatId, userId) => chatId === userId },
  };
}

channelContract({
  name: 'whatsapp (fake Baileys socket)',
  rateLimit: 'error',
  directChats: true,
  directChatUserId: '15551234567@s.whatsapp.net',
  async setup() {
    const fake = createFakeWhatsApp();
    const authDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wa-contract-'));
    const adapter = createWhatsAppChannel({
      authDir,
      makeSocket: fake.makeSocket,
      downloadMedia: fake.download,
      backoff: { baseMs: 20, maxMs: 200 },
      onQr: () => {},
    });
    return {
      adapter,
      driver: driverFor(fake),
      chatId: FAKE_GROUP,
      readAttachment: (ref) => adapter.downloadAttachment(ref),
      teardown: () => fs.rm(authDir, { recursive: true, force: true }),
    };
  },
});
