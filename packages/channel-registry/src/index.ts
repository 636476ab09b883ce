export {
  ACCOUNT_SEPARATOR,
  DEFAULT_ACCOUNT_ID,
  discoverAccounts,
  envForAccount,
  missingEnv,
} from './accounts.js';
export { readAttachmentFile } from './attachment-file.js';
export type { BackoffOptions, Timers } from './backoff.js';
export { backoffDelay, DEFAULT_BACKOFF, realTimers, sleep } from './backoff.js';
export { AttachmentTooLargeError, collectCapped, readCappedResponse } from './capped-download.js';
export type { ChannelErrorCode, ChannelErrorOptions } from './channel-error.js';
export { ChannelError, channelErrorInfo } from './channel-error.js';
export type { ChannelRegistry } from './registry.js';
export { createChannelRegistry, defaultChannelRegistry, registerChannel } from './registry.js';
export { silentLogger } from './silent-logger.js';
export { assertSupportedChannelVersion, UnsupportedChannelVersionError } from './spec-version.js';
export { splitMessage } from './split-message.js';
export type {
  ChannelAccountConfig,
  ChannelHealth,
  ChannelState,
  ChannelStatus,
  ChannelSupervisor,
  ReportsChannelHealth,
  StartChannelsOptions,
} from './start-channels.js';
export { startChannels } from './start-channels.js';
export type { TypingTracker, TypingTrackerOptions } from './typing.js';
export { createTypingTracker } from './typing.js';
