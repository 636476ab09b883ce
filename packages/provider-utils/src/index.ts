export { createEventChannel, type EventChannel } from './event-channel.js';
export { silentLogger } from './silent-logger.js';
