export type { LoopbackSocket, LoopbackWebSocketServer } from './loopback-websocket.js';
export { attachLoopbackWebSocketServer } from './loopback-websocket.js';
