import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { createDiscordChannel, DISCORD_CHANNEL } from './discord-channel.js';

export const DISCORD_ENV = {
  botToken: 'DISCORD_BOT_TOKEN',
  apiUrl: 'DISCORD_API_URL',
} as const;

/** The Discord channel's factory: `DISCORD_BOT_TOKEN` is required, `DISCORD_API_URL` optional (tests). */
export const discordChannel: ChannelFactory = {
  specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
  channel: DISCORD_CHANNEL,
  requiredEnv: [DISCORD_ENV.botToken],
  create({ accountId, env, logger }) {
    const token = env[DISCORD_ENV.botToken]?.trim().replace(/^Bot\s+/i, '');
    if (!token) return { skipped: `${DISCORD_ENV.botToken} not set` };
    const apiUrl = env[DISCORD_ENV.apiUrl]?.trim();
    return createDiscordChannel({ token, accountId, logger, ...(apiUrl ? { apiUrl } : {}) });
  },
};
