import { discordChannel } from '@nanoclaw/channel-discord';
import { slackChannel } from '@nanoclaw/channel-slack';
import { telegramChannel } from '@nanoclaw/channel-telegram';
import { whatsappChannel } from '@nanoclaw/channel-whatsapp';
import type { ChannelFactory } from '@nanoclaw/core';

/**
 * The chat platforms the host starts when their credentials are present (see each package's README). A fork
 * that wants fewer, or another one, passes its own list to `createHost({ channels })`.
 */
export const BUILT_IN_CHANNELS: readonly ChannelFactory[] = [
  telegramChannel,
  slackChannel,
  discordChannel,
  whatsappChannel,
];
