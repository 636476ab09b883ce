/**
 * `@nanoclaw/provider-claude/internal`: the pieces behind the provider (the pinned binary, the env Claude Code
 * gets, the SDK's query options, transcript archiving, tool kinds), for tools and tests. Not a stable API: names
 * here may change in any release.
 */
export { ARCHIVE_DIR, archiveTranscript, transcriptMarkdown } from './archive.js';
export { CLAUDE_BIN_ENV, resolveClaudeBinary } from './binary.js';
export type { ClaudeAuthMode, ClaudeEnvOptions } from './env.js';
export { buildClaudeEnv, CLAUDE_ENV_KEYS, CLAUDE_FIXED_ENV, resolveAuthMode, resolveModel } from './env.js';
export { SESSION_INVALID_PATTERN } from './errors.js';
export { describeClaudeCredentials } from './host.js';
export type { QueryPlan } from './query-options.js';
export { buildQueryOptions, toSdkMcpServers } from './query-options.js';
export { toolKind } from './tool-events.js';
