export type { HostEventBus, HostEventListener } from './host-event-bus.js';
export { ALL_GROUPS, createHostEventBus } from './host-event-bus.js';
export type { LocalChannel, LocalChannelOptions, LocalDelivery, LocalMessageInput } from './local-channel.js';
export {
  createLocalChannel,
  LOCAL_ACCOUNT_ID,
  LOCAL_CHANNEL,
  LOCAL_MAX_TEXT_LENGTH,
  localChatKey,
} from './local-channel.js';
