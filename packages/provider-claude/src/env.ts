import os from 'node:os';

type Env = Readonly<Record<string, string | undefined>>;

/** Credentials and endpoint keys the provider reads (and the host passes into the sandbox). */
export const CLAUDE_ENV_KEYS = [
  'ANTHROPIC_API_KEY',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_MODEL',
  'CLAUDE_MODEL',
] as const;

/** The keys of `CLAUDE_ENV_KEYS` that hold a credential (the host adds them; the sandbox holds placeholders). */
export const CLAUDE_CREDENTIAL_ENV_KEYS = [
  'ANTHROPIC_API_KEY',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'ANTHROPIC_AUTH_TOKEN',
] as const;

/** The Anthropic API version Claude Code sends (`anthropic-version`). */
export const ANTHROPIC_API_VERSION = '2023-06-01';

/**
 * Always set for Claude Code: no telemetry, error reports, auto-update or other non-essential traffic (with
 * `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC` no host but the model endpoint is ever resolved), and
 * `IS_SANDBOX=1`, without which `bypassPermissions` refuses to run as root (the container is the sandbox).
 */
export const CLAUDE_FIXED_ENV: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_AUTOUPDATER: '1',
  IS_SANDBOX: '1',
};

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface ClaudeEnvOptions {
  /** `CLAUDE_CODE_MAX_RETRIES` (Claude Code's default is 10, with backoff); unset = Claude Code's default. */
  maxRetries?: number;
  /** Extra keys, set last. */
  extra?: Readonly<Record<string, string>>;
}

/**
 * The complete env of the Claude Code process. The SDK's `env` option REPLACES `process.env`, so it is built
 * here from the session env only (which the caller built from allowlists; it also reaches the Bash tool), plus
 * `PATH`/`HOME` fallbacks and `CLAUDE_FIXED_ENV`. `process.env` is never read, so no host proxy or secret can
 * leak in.
 */
export function buildClaudeEnv(sessionEnv: Env, options: ClaudeEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(sessionEnv)) {
    if (value !== undefined) env[key] = value;
  }
  env.PATH ||= DEFAULT_PATH;
  env.HOME ||= os.homedir();
  Object.assign(env, CLAUDE_FIXED_ENV);
  if (options.maxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries);
  if (options.extra) Object.assign(env, options.extra);
  return env;
}

/** The model for a session: explicit, else `CLAUDE_MODEL`, else `ANTHROPIC_MODEL` (else Claude Code's default). */
export function resolveModel(explicit: string | undefined, env: Env): string | undefined {
  return explicit?.trim() || env.CLAUDE_MODEL?.trim() || env.ANTHROPIC_MODEL?.trim() || undefined;
}

/** Which credential Claude Code will use for this env, or null when it has none. */
export type ClaudeAuthMode = 'oauth-token' | 'api-key' | 'gateway' | 'none';

/**
 * Claude Code's own precedence: an API key (`ANTHROPIC_API_KEY`, or `ANTHROPIC_AUTH_TOKEN` as a bearer token)
 * wins over a subscription token (`CLAUDE_CODE_OAUTH_TOKEN`); `ANTHROPIC_BASE_URL` sends either to that
 * endpoint instead of api.anthropic.com.
 */
export function resolveAuthMode(env: Env): ClaudeAuthMode {
  const key = env.ANTHROPIC_API_KEY?.trim() || env.ANTHROPIC_AUTH_TOKEN?.trim();
  if (env.ANTHROPIC_BASE_URL?.trim() && key) return 'gateway';
  if (key) return 'api-key';
  if (env.CLAUDE_CODE_OAUTH_TOKEN?.trim()) return 'oauth-token';
  return 'none';
}
