export { ARCHIVE_DIR, archiveTranscript, transcriptMarkdown } from './archive.js';
export { CLAUDE_AGENT_SDK_VERSION, CLAUDE_BIN_ENV, resolveClaudeBinary } from './binary.js';
export type { ClaudeAuthMode, ClaudeEnvOptions } from './env.js';
export { buildClaudeEnv, CLAUDE_ENV_KEYS, CLAUDE_FIXED_ENV, resolveAuthMode, resolveModel } from './env.js';
export type { ClaudeErrorCode } from './errors.js';
export { ClaudeProviderError, isClaudeSessionInvalid, SESSION_INVALID_PATTERN } from './errors.js';
export type { ClaudeHostContributionOptions } from './host.js';
export { claudeHostContribution, createClaudeHostContribution, describeClaudeCredentials } from './host.js';
export type { ClaudeProvider, ClaudeProviderOptions, ClaudeSessionPlan } from './provider.js';
export { claudeProvider, createClaudeProvider } from './provider.js';
export type { QueryPlan } from './query-options.js';
export { buildQueryOptions, toSdkMcpServers } from './query-options.js';
export type { ClaudeAgentSession } from './session.js';
export { toolKind } from './tool-events.js';

import { claudeProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-claude` and takes its default export. */
export default claudeProvider;
