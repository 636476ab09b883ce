/**
 * `@nanoclaw/provider-opencode`: the opencode agent provider (the runner takes the default export), its errors
 * and the host's contribution. The pieces behind it (binary, config, server, parts) are in `./internal`.
 */
export type { OpencodeErrorCode } from './errors.js';
export { isOpencodeSessionInvalid, OpencodeProviderError } from './errors.js';
export type { OpencodeHostContributionOptions } from './host.js';
export { createOpencodeHostContribution, opencodeHostContribution } from './host.js';
export type { OpencodeProvider, OpencodeProviderOptions, OpencodeSessionPlan } from './provider.js';
export { createOpencodeProvider, opencodeProvider } from './provider.js';
export type { OpencodeAgentSession } from './session.js';
export { OPENCODE_VERSION } from './version.js';

import { opencodeProvider } from './provider.js';

/** The agent runner loads `@nanoclaw/provider-opencode` and takes its default export. */
export default opencodeProvider;
