/**
 * `@nanoclaw/provider-claude`: the Claude Code agent provider (the runner takes the default export), its errors
 * and the host's contribution. The pieces behind it (binary, env, SDK options, transcripts) are in `./internal`.
 */
export { CLAUDE_AGENT_SDK_VERSION } from './binary.js';
export type { ClaudeErrorCode } from './errors.js';
export { ClaudeProviderError, isClaudeSessionInvalid } from './errors.js';
export type { ClaudeHostContributionOptions } from './host.js';
export { claudeHostContribution, createClaudeHostContribution } from './host.js';
export type { ClaudeProvider, ClaudeProviderOptions, ClaudeSessionPlan } from './provider.js';
export { claudeProvider, createClaudeProvider } from './provider.js';
export type { ClaudeAgentSession } from './session.js';

import { claudeProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-claude` and takes its default export. */
export default claudeProvider;
