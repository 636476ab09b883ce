export type {
  FakeCallbackAnswer,
  FakeCardButton,
  FakeSentCard,
  FakeTap,
  FakeTapInput,
  FakeUser,
} from './fake-telegram-cards.js';
export type {
  FakeFault,
  FakeInboundMessage,
  FakeRequest,
  FakeSentMessage,
  FakeTelegramServer,
  FakeTelegramServerOptions,
  FakeUpload,
} from './fake-telegram-server.js';
export { createFakeTelegramServer, FAKE_TELEGRAM_SEND_METHODS } from './fake-telegram-server.js';
