import { createChannelRegistry } from '@nanoclaw/channel-registry';
import {
  type ChannelContractHarness,
  type ContractInjected,
  channelContract,
  channelFactoryContract,
  rememberingCardDriver,
  silentLogger,
} from '@nanoclaw/testing';
import { type FakeSlackEvent, startFakeSlack } from './fake-slack.js';
import { registerSlackChannel } from './register.js';
import { createSlackChannel } from './slack-channel.js';
import { slackToMarkdown } from './slack-format.js';

async function setup(): Promise<ChannelContractHarness> {
  const fake = await startFakeSlack();
  const adapter = createSlackChannel({
    botToken: fake.botToken,
    appToken: fake.appToken,
    apiUrl: fake.apiUrl,
    logger: silentLogger(),
    clientPingTimeoutMs: 200,
  });
  // The latest envelope of each message: a redelivery is acknowledged on its own envelope.
  const events = new Map<string, FakeSlackEvent>();
  return {
    adapter,
    chatId: 'C0CONTRACT',
    driver: {
      async injectText(input) {
        const event = fake.inject({
          channel: input.chatId,
          text: input.text,
          ...(input.sender ? { user: input.sender.id } : {}),
          ...(input.mention ? { mention: true } : {}),
          ...(input.attachment
            ? {
                files: [
                  {
                    name: input.attachment.name,
                    mimeType: input.attachment.mimeType,
                    content: Buffer.from(input.attachment.content),
                  },
                ],
              }
            : {}),
        });
        events.set(event.ts, event);
        const payloadEvent = event.payload.event as { text: string; user: string };
        return {
          chatId: input.chatId,
          platformMessageId: event.ts,
          senderId: payloadEvent.user,
          text: payloadEvent.text,
        };
      },
      async redeliver(message: ContractInjected) {
        const event = events.get(message.platformMessageId);
        if (!event) throw new Error(`no event for ${message.platformMessageId}`);
        events.set(message.platformMessageId, fake.redeliver(event));
      },
      isAcknowledged(message) {
        const event = events.get(message.platformMessageId);
        return event ? fake.isAcked(event.envelopeId) : false;
      },
      sentTexts: () =>
        fake.posted.map((p) => ({
          chatId: p.channel,
          text: p.text,
          platformMessageId: p.ts,
          ...(p.threadTs ? { replyTo: p.threadTs } : {}),
        })),
      typingEvents: () => [],
      uploads: () =>
        fake.uploads.map((u) => ({
          chatId: u.channelId ?? '',
          name: u.filename,
          content: new Uint8Array(u.bytes),
        })),
      failNextSend(retryAfterMs) {
        // Slack's Retry-After is whole seconds.
        const seconds = Math.ceil(retryAfterMs / 1000);
        fake.rateLimit('chat.postMessage', seconds, 1);
        fake.rateLimit('files.getUploadURLExternal', seconds, 1);
      },
      async dropConnection() {
        fake.dropConnections();
      },
      cards: rememberingCardDriver(fake),
      directChats: {
        isDirectChatWith: (chatId, userId) => fake.isDirectChannel(chatId, userId),
      },
    },
    readAttachment: (ref) => adapter.downloadAttachment(ref),
    teardown: () => fake.close(),
  };
}

channelContract({ name: 'slack', setup, normalizeSentText: slackToMarkdown, cards: true, directChats: true });

channelFactoryContract({
  channel: 'slack',
  requiredEnv: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'],
  registeredFactory() {
    const registry = createChannelRegistry();
    registerSlackChannel(registry);
    registerSlackChannel(registry); // idempotent
    return registry.get('slack');
  },
  async startFake() {
    const fake = await startFakeSlack();
    return { env: fake.env(), chatId: 'C1', close: () => fake.close() };
  },
});
