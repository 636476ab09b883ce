export { answerServerRequest, CodexRpcError } from './app-server.js';
export { checkCodexVersion, readCodexVersion, resolveCodexBinary } from './binary.js';
export type { CodexAuthMode, CodexConfigInput, CodexEndpointTuning } from './config.js';
export {
  buildCodexConfig,
  CODEX_ENV_KEYS,
  CUSTOM_PROVIDER_ID,
  DEFAULT_COMPACT_THRESHOLD_TOKENS,
  renderCodexConfig,
  resolveAuthMode,
  writeCodexHome,
} from './config.js';
export type { CodexErrorCode } from './errors.js';
export { CodexProviderError, isCodexSessionInvalid, SESSION_INVALID_PATTERN } from './errors.js';
export type { CodexHostContributionOptions } from './host.js';
export { codexHostContribution, createCodexHostContribution } from './host.js';
export { NdjsonMessageReader, NdjsonMessageWriter } from './ndjson.js';
export type { CodexProvider, CodexProviderOptions, CodexSessionPlan } from './provider.js';
export { codexProvider, createCodexProvider } from './provider.js';
export type { CodexAgentSession } from './session.js';
export { CODEX_VERSION } from './version.js';

import { codexProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-codex` and takes its default export. */
export default codexProvider;
