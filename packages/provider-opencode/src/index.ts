export { checkOpencodeVersion, readOpencodeVersion, resolveOpencodeBinary } from './binary.js';
export { isSessionIdShape } from './client.js';
export type { ModelRef, OpencodeConfigInput, OpencodeDirs } from './config.js';
export {
  buildChildEnv,
  buildOpencodeConfig,
  CUSTOM_PROVIDER_ID,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MODEL_LIMITS,
  mcpConfig,
  mcpToolName,
  OFFLINE_FLAGS,
  OPENCODE_ENV_KEYS,
  opencodeDirs,
  resolveModel,
  seedConfigDir,
} from './config.js';
export type { OpencodeErrorCode } from './errors.js';
export { isOpencodeSessionInvalid, OpencodeProviderError, SESSION_INVALID_PATTERN } from './errors.js';
export type { OpencodeHostContributionOptions } from './host.js';
export {
  createOpencodeHostContribution,
  hostAuthPath,
  OPENCODE_HOME_DIR,
  opencodeHostContribution,
} from './host.js';
export { toolIdentity } from './parts.js';
export type { OpencodeProvider, OpencodeProviderOptions, OpencodeSessionPlan } from './provider.js';
export { createOpencodeProvider, opencodeProvider } from './provider.js';
export type { OpencodeServer, ServerExit } from './server.js';
export { startOpencodeServer } from './server.js';
export type { OpencodeAgentSession } from './session.js';
export { OPENCODE_VERSION } from './version.js';

import { opencodeProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-opencode` and takes its default export. */
export default opencodeProvider;
