import { type ChannelRegistry, registerChannel } from '@nanoclaw/channel-registry';
import { discordChannel } from './discord-factory.js';

/** Registers the Discord factory (default: into the registry's process-wide `defaultChannelRegistry`). */
export function registerDiscordChannel(registry?: ChannelRegistry): void {
  if (registry) registerChannel(discordChannel, registry);
  else registerChannel(discordChannel);
}
