import type { ProviderSandboxProfile } from './types.js';

/**
 * What each provider the host knows gets in its sandbox: the host env keys passed in when set (secrets only by
 * this explicit list) and its state directory under HOME, kept per session in
 * `<dataDir>/sessions/<sessionId>/home/<homeDir>`.
 */
export const DEFAULT_PROVIDER_PROFILES: Readonly<Record<string, ProviderSandboxProfile>> = Object.freeze({
  mock: { envAllowlist: [], homeDir: '.mock' },
  claude: {
    envAllowlist: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL'],
    homeDir: '.claude',
  },
  codex: { envAllowlist: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_MODEL'], homeDir: '.codex' },
  opencode: {
    envAllowlist: ['OPENCODE_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    homeDir: '.local/share/opencode',
  },
});
