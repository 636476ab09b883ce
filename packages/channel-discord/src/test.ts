export type { LoopbackSocket, LoopbackWebSocketServer } from '@nanoclaw/channel-registry/test';
export { attachLoopbackWebSocketServer } from '@nanoclaw/channel-registry/test';
export type {
  FakeDiscord,
  FakeDiscordChannel,
  FakeDiscordEvent,
  FakeDiscordFailure,
  FakeDiscordFile,
  FakeDiscordGuild,
  FakeDiscordInject,
  FakeDiscordOptions,
  FakeDiscordPosted,
  FakeDiscordRequest,
  FakeDiscordThread,
} from './fake-discord.js';
export { startFakeDiscord } from './fake-discord.js';
export type {
  FakeDiscordButton,
  FakeDiscordCard,
  FakeDiscordInteractionAnswer,
  FakeDiscordTap,
  FakeDiscordTapInput,
  FakeDiscordTapper,
} from './fake-discord-interactions.js';
