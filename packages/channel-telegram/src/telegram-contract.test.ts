import {
  type ChannelContractCardDriver,
  type ChannelContractDriver,
  type ContractInjected,
  channelContract,
} from '@nanoclaw/testing';
import {
  createFakeTelegramServer,
  FAKE_TELEGRAM_SEND_METHODS,
  type FakeTelegramServer,
} from './fake-telegram-server.js';
import { createTelegramChannel } from './telegram-channel.js';

const CHAT_ID = '-1001234567890';

function driverFor(server: FakeTelegramServer): ChannelContractDriver {
  return {
    async injectText(input) {
      const { message } = server.injectMessage({
        chatId: input.chatId,
        text: input.text,
        mentionBot: input.mention === true,
        ...(input.sender
          ? { from: { id: Number(input.sender.id), first_name: input.sender.name ?? 'User' } }
          : {}),
        ...(input.attachment ? { document: input.attachment } : {}),
      });
      return {
        chatId: String(message.chat.id),
        platformMessageId: String(message.message_id),
        senderId: String(message.from?.id),
        text: message.text ?? message.caption ?? '',
      };
    },
    async redeliver(message: ContractInjected) {
      server.redeliver(message.chatId, Number(message.platformMessageId));
    },
    isAcknowledged: (message) => server.isConfirmed(message.chatId, Number(message.platformMessageId)),
    sentTexts: () =>
      server.sent.map((s) => ({
        chatId: s.chatId,
        text: s.text,
        platformMessageId: String(s.messageId),
        ...(s.replyTo === undefined ? {} : { replyTo: String(s.replyTo) }),
      })),
    typingEvents: () =>
      server.chatActions.filter((a) => a.action === 'typing').map((a) => ({ chatId: a.chatId })),
    uploads: () =>
      server.uploads.map((u) => ({
        chatId: u.chatId,
        name: u.name,
        content: u.content,
        ...(u.caption ? { caption: u.caption } : {}),
      })),
    failNextSend(retryAfterMs) {
      server.failNext({
        methods: FAKE_TELEGRAM_SEND_METHODS,
        errorCode: 429,
        retryAfter: Math.ceil(retryAfterMs / 1000),
      });
    },
    async dropConnection() {
      server.dropConnections();
    },
    cards: cardDriverFor(server),
    directChats: { isDirectChatWith: (chatId, userId) => server.isDirectChat(chatId, userId) },
  };
}

function cardDriverFor(server: FakeTelegramServer): ChannelContractCardDriver {
  return {
    sentCards: () =>
      server.cards.map((card) => ({
        chatId: card.chatId,
        platformMessageId: card.platformMessageId,
        text: card.text,
        buttons: card.buttons,
      })),
    async tap({ card, data, user }) {
      const tap = server.tap({
        card: { chatId: card.chatId, messageId: Number(card.platformMessageId) },
        data,
        user: { id: user.id, first_name: user.name ?? 'Tapper' },
      });
      return { platformActionId: tap.platformActionId, answered: () => tap.answered() };
    },
    async replayTap(tap) {
      server.replayTap({ queryId: tap.platformActionId });
    },
  };
}

channelContract({
  name: 'telegram',
  rateLimit: 'error',
  cards: true,
  directChats: true,
  async setup() {
    const server = await createFakeTelegramServer();
    // The direct-chat case asks for the owner's chat: on Telegram the owner must have started the bot first.
    server.startPrivateChat({ id: 'U-owner', first_name: 'Owner' });
    const adapter = createTelegramChannel({
      token: server.token,
      apiRoot: server.url,
      pollTimeoutSeconds: 10,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    return {
      adapter,
      driver: driverFor(server),
      chatId: CHAT_ID,
      readAttachment: (ref) => adapter.downloadAttachment(ref),
      teardown: () => server.close(),
    };
  },
});
