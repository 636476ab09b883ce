import { claudeHostContribution } from '@nanoclaw/provider-claude/host';
import { codexHostContribution } from '@nanoclaw/provider-codex/host';
import { opencodeHostContribution } from '@nanoclaw/provider-opencode/host';
import type { ProviderSandboxProfile } from './types.js';

/**
 * (Each provider's `./host` entry: the contribution without the runtime's SDK, which the host never loads.)
 *
 * What each provider the host knows gets in its sandbox, from the provider packages' host contributions: the
 * host env keys passed in when set (secrets only by this explicit list), its state directory under HOME (kept per
 * session in `<dataDir>/sessions/<sessionId>/home/<homeDir>`), how that home is prepared, and its native binary.
 */
export const DEFAULT_PROVIDER_PROFILES: Readonly<Record<string, ProviderSandboxProfile>> = Object.freeze({
  mock: { envAllowlist: [], credentialEnvKeys: [], homeDir: '.mock' },
  codex: codexHostContribution,
  claude: claudeHostContribution,
  opencode: opencodeHostContribution,
});
