export type { FakeWaiters } from './fake-platform-kit.js';
export { createFakeWaiters, readBody, sendJson } from './fake-platform-kit.js';
export type { LoopbackSocket, LoopbackWebSocketServer } from './loopback-websocket.js';
export { attachLoopbackWebSocketServer } from './loopback-websocket.js';
