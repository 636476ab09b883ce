export type { ChatRef } from './chat-ref.js';
export {
  adapterKey,
  formatChatRef,
  LOCAL_ACCOUNT,
  LOCAL_CHANNEL,
  localChatRef,
  outboundAddress,
  parseChatRef,
  sameChat,
} from './chat-ref.js';
export type { ConfigIssue, ContainerConfigResult } from './container-config-file.js';
export {
  configTriggerIssue,
  formatConfigIssue,
  groupSettingsFile,
  LEGACY_SETTINGS_FILE,
  parseContainerConfig,
  readGroupSettings,
  readGroupSettingsJson,
  writeGroupSettings,
} from './container-config-file.js';
export type { HostDb } from './db-types.js';
export type { GroupErrorCode } from './group-error.js';
export { GroupError, isGroupError } from './group-error.js';
export { validateFolderName } from './group-folder.js';
export type {
  AddGroupInput,
  BindChatOptions,
  GroupAccess,
  GroupRegistry,
  GroupRegistryOptions,
  RegisteredGroup,
  SyncReport,
} from './group-registry.js';
export { createGroupRegistry, GROUP_ACCESS_MODES } from './group-registry.js';
export type { LegacySettingsReport } from './legacy-settings.js';
export { logLegacySettings, moveLegacySettings, SETTINGS_LAYOUT_MARKER } from './legacy-settings.js';
export type {
  DefaultProvider,
  DetectDefaultProviderOptions,
  ProviderChoice,
  ProviderGroup,
  ProviderResolver,
  ProviderResolverOptions,
  ProviderSource,
  ResolvedProvider,
} from './provider-resolution.js';
export {
  createProviderResolver,
  describeGroupProviders,
  describeProvider,
  detectDefaultProvider,
  resolveGroupProvider,
  resolveProvider,
} from './provider-resolution.js';
export type { SessionStore, SessionStoreOptions } from './session-store.js';
export {
  createSessionStore,
  MAIN_SESSION_KEY,
  taskSessionKey,
  threadSessionKey,
} from './session-store.js';
export type { CompiledTrigger } from './trigger.js';
export { assistantTrigger, compileTrigger } from './trigger.js';
