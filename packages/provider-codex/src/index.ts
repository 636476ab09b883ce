/**
 * `@nanoclaw/provider-codex`: the Codex agent provider (the runner takes the default export), its errors and the
 * host's contribution. The pieces behind it (binary, config, framing) are in `./internal`, for tools and tests.
 */
export { CodexRpcError } from './app-server.js';
export type { CodexErrorCode } from './errors.js';
export { CodexProviderError, isCodexSessionInvalid } from './errors.js';
export type { CodexHostContributionOptions } from './host.js';
export { codexHostContribution, createCodexHostContribution } from './host.js';
export type { CodexProvider, CodexProviderOptions, CodexSessionPlan } from './provider.js';
export { codexProvider, createCodexProvider } from './provider.js';
export type { CodexAgentSession } from './session.js';
export { CODEX_VERSION } from './version.js';

import { codexProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-codex` and takes its default export. */
export default codexProvider;
