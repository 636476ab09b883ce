export type {
  FakeSlack,
  FakeSlackCall,
  FakeSlackEvent,
  FakeSlackInboundFile,
  FakeSlackInject,
  FakeSlackOptions,
  FakeSlackPosted,
  FakeSlackUpload,
  FakeSlackUser,
} from './fake-slack.js';
export { startFakeSlack } from './fake-slack.js';
export type { LoopbackSocket, LoopbackWebSocketServer } from './loopback-websocket.js';
export { attachLoopbackWebSocketServer } from './loopback-websocket.js';
