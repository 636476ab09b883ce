export { createTelegramChannelFactory, TELEGRAM_ENV, telegramChannel } from './factory.js';
export type { TelegramBotIdentity } from './map-message.js';
export { TELEGRAM_CHANNEL } from './map-message.js';
export type { TelegramChannel, TelegramChannelOptions } from './telegram-channel.js';
export {
  createTelegramChannel,
  TELEGRAM_DEFAULT_API_ROOT,
  TELEGRAM_LIMITS,
  TELEGRAM_MAX_TEXT_LENGTH,
} from './telegram-channel.js';
