import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { TELEGRAM_CHANNEL } from './map-message.js';
import { createTelegramChannel, type TelegramChannelOptions } from './telegram-channel.js';

export const TELEGRAM_ENV = { token: 'TELEGRAM_BOT_TOKEN', apiRoot: 'TELEGRAM_API_ROOT' } as const;

const TOKEN_SHAPE = /^\d+:[A-Za-z0-9_-]+$/;

/**
 * A Telegram factory with extra adapter options (backoff, poll timeout, ...); the env still gives the token and API
 * root. `telegramChannel` is this with no extras.
 */
export function createTelegramChannelFactory(
  extra: Omit<TelegramChannelOptions, 'token' | 'accountId' | 'apiRoot' | 'logger'> = {},
): ChannelFactory {
  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: TELEGRAM_CHANNEL,
    requiredEnv: [TELEGRAM_ENV.token],
    create({ accountId, env, logger }) {
      const token = env[TELEGRAM_ENV.token]?.trim();
      if (!token) return { skipped: `${TELEGRAM_ENV.token} is not set` };
      if (!TOKEN_SHAPE.test(token)) {
        throw new Error(
          `${TELEGRAM_ENV.token} does not look like a bot token from @BotFather (<digits>:<secret>)`,
        );
      }
      const apiRoot = env[TELEGRAM_ENV.apiRoot]?.trim();
      return createTelegramChannel({ ...extra, token, accountId, logger, ...(apiRoot ? { apiRoot } : {}) });
    },
  };
}

/** Register it with `registerChannel(telegramChannel)` or `createChannelRegistry([telegramChannel])`. */
export const telegramChannel: ChannelFactory = createTelegramChannelFactory();
