export { BUILT_IN_CHANNELS } from './built-in-channels.js';
export type { AdapterLookup } from './channel-adapters.js';
export { createAdapterLookup } from './channel-adapters.js';
