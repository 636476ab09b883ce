export type { DiscordChannel, DiscordChannelOptions } from './discord-channel.js';
export {
  createDiscordChannel,
  DEFAULT_DISCORD_API_URL,
  DISCORD_CHANNEL,
  DISCORD_MAX_FILES_PER_MESSAGE,
  DISCORD_MAX_TEXT_LENGTH,
} from './discord-channel.js';
export { DiscordChannelError } from './discord-errors.js';
export { DISCORD_ENV, discordChannel } from './discord-factory.js';
export { registerDiscordChannel } from './register.js';
