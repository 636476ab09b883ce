import { createChannelRegistry } from '@nanoclaw/channel-registry';
import {
  type ChannelContractHarness,
  type ContractInjected,
  channelContract,
  channelFactoryContract,
  rememberingCardDriver,
  silentLogger,
} from '@nanoclaw/testing';
import { createDiscordChannel } from './discord-channel.js';
import { type FakeDiscordEvent, startFakeDiscord } from './fake-discord.js';
import { registerDiscordChannel } from './register.js';

const CHANNEL = '400000000000000001';

async function setup(): Promise<ChannelContractHarness> {
  const fake = await startFakeDiscord({ heartbeatIntervalMs: 1_000 });
  const adapter = createDiscordChannel({
    token: fake.token,
    apiUrl: fake.apiUrl,
    logger: silentLogger(),
    unthrottledIdentify: true,
  });
  const events = new Map<string, FakeDiscordEvent>();
  return {
    adapter,
    chatId: CHANNEL,
    driver: {
      async injectText(input) {
        const event = fake.inject({
          channelId: input.chatId,
          content: input.text,
          ...(input.sender ? { authorId: input.sender.id } : {}),
          ...(input.sender?.name ? { authorName: input.sender.name } : {}),
          ...(input.mention ? { mention: true } : {}),
          ...(input.attachment
            ? {
                attachments: [
                  {
                    filename: input.attachment.name,
                    contentType: input.attachment.mimeType,
                    content: Buffer.from(input.attachment.content),
                  },
                ],
              }
            : {}),
        });
        events.set(event.id, event);
        const payload = event.payload as { content: string; author: { id: string } };
        return {
          chatId: input.chatId,
          platformMessageId: event.id,
          senderId: payload.author.id,
          text: payload.content,
        };
      },
      async redeliver(message: ContractInjected) {
        const event = events.get(message.platformMessageId);
        if (!event) throw new Error(`no event for ${message.platformMessageId}`);
        fake.redeliver(event);
      },
      // The gateway has no acknowledgements: the ack-order case does not apply.
      sentTexts: () =>
        fake.posted
          .filter((p) => p.content !== '')
          .map((p) => ({
            chatId: p.channelId,
            text: p.content,
            platformMessageId: p.id,
            ...(p.messageReference?.message_id ? { replyTo: p.messageReference.message_id } : {}),
          })),
      typingEvents: () => fake.typing.map((chatId) => ({ chatId })),
      uploads: () =>
        fake.posted.flatMap((p) =>
          p.files.map((f) => ({
            chatId: p.channelId,
            name: f.filename,
            content: new Uint8Array(f.bytes),
            ...(p.content ? { caption: p.content } : {}),
          })),
        ),
      failNextSend(retryAfterMs) {
        fake.rateLimit('POST /channels/:id/messages', retryAfterMs / 1000, 1);
      },
      async dropConnection() {
        fake.dropConnections();
      },
      cards: rememberingCardDriver(fake),
      directChats: {
        isDirectChatWith: (chatId, userId) => fake.isDirectChatWith(chatId, userId),
      },
    },
    readAttachment: (ref) => adapter.downloadAttachment(ref),
    teardown: () => fake.close(),
  };
}

// Rate limits up to 5 s are waited out by discord.js (rateLimitWaitMaxMs); the contract's 1 s one is.
channelContract({ name: 'discord', setup, rateLimit: 'retry', cards: true, directChats: true });

channelFactoryContract({
  channel: 'discord',
  requiredEnv: ['DISCORD_BOT_TOKEN'],
  registeredFactory() {
    const registry = createChannelRegistry();
    registerDiscordChannel(registry);
    registerDiscordChannel(registry); // idempotent
    return registry.get('discord');
  },
  async startFake() {
    const fake = await startFakeDiscord();
    return { env: fake.env(), chatId: CHANNEL, close: () => fake.close() };
  },
});
