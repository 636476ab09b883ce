export type { LoopbackSocket, LoopbackWebSocketServer } from '@nanoclaw/channel-registry/test';
export { attachLoopbackWebSocketServer } from '@nanoclaw/channel-registry/test';
export type {
  FakeSlack,
  FakeSlackCall,
  FakeSlackCardsApi,
  FakeSlackEvent,
  FakeSlackInboundFile,
  FakeSlackInject,
  FakeSlackOptions,
  FakeSlackPosted,
  FakeSlackUpload,
  FakeSlackUser,
} from './fake-slack.js';
export { startFakeSlack } from './fake-slack.js';
export type {
  FakeSlackCard,
  FakeSlackEphemeral,
  FakeSlackTap,
  FakeSlackTapInput,
} from './fake-slack-cards.js';
