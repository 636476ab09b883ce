export type { BuiltInChannel } from './built-in-channels.js';
export { BUILT_IN_CHANNELS, loadConfiguredChannels } from './built-in-channels.js';
export type { AdapterLookup } from './channel-adapters.js';
export { createAdapterLookup } from './channel-adapters.js';
export type { ChannelCredentialCheck, ChannelCredentials } from './channel-credentials.js';
export { createChannelCredentialCheck, missingCredentialsWarning } from './channel-credentials.js';
