/**
 * `@nanoclaw/provider-opencode/internal`: the pieces behind the provider (the pinned binary, its config and
 * dirs, the `opencode serve` process, tool identities), for tools and tests. Not a stable API: names here may
 * change in any release.
 */
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
export { SESSION_INVALID_PATTERN } from './errors.js';
export { hostAuthPath, OPENCODE_HOME_DIR } from './host.js';
export { toolIdentity } from './parts.js';
export type { OpencodeServer, ServerExit } from './server.js';
export { startOpencodeServer } from './server.js';
