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
export type { LoopbackSocket, LoopbackWebSocketServer } from './loopback-websocket.js';
export { attachLoopbackWebSocketServer } from './loopback-websocket.js';
