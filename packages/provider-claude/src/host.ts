import {
  AGENT_PROVIDER_SPEC_VERSION,
  type EgressHeaderSource,
  type ProviderEgress,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { CLAUDE_BIN_ENV, resolveClaudeBinary } from './binary.js';
import {
  ANTHROPIC_API_VERSION,
  CLAUDE_CREDENTIAL_ENV_KEYS,
  CLAUDE_ENV_KEYS,
  resolveAuthMode,
} from './env.js';

export interface ClaudeHostContributionOptions {
  /** Provider id (default `claude`). */
  id?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The host side of the Claude provider: which env keys enter the sandbox (credentials, endpoint, model), where
 * Claude Code keeps its state (`$HOME/.claude`: sessions, transcripts, settings; one per session) and the
 * pinned native binary. No auth file is copied: Claude Code authenticates from the env.
 */
export function createClaudeHostContribution(
  options: ClaudeHostContributionOptions = {},
): ProviderHostContribution {
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id: options.id ?? 'claude',
    envAllowlist: CLAUDE_ENV_KEYS,
    credentialEnvKeys: CLAUDE_CREDENTIAL_ENV_KEYS,
    homeDir: '.claude',
    // Claude Code's user memory (`~/.claude/CLAUDE.md`) and user skills (`~/.claude/skills/<name>/SKILL.md`),
    // read with the `user` setting source.
    agentContext: { memoryFile: 'CLAUDE.md', skillsDir: 'skills' },
    resolveBinary() {
      const path = resolveClaudeBinary();
      if (!path)
        throw new Error(
          'the Claude Code binary (@anthropic-ai/claude-agent-sdk platform package) is not installed',
        );
      return { path, envKey: CLAUDE_BIN_ENV };
    },
    describeCredentials: describeClaudeCredentials,
    egress: claudeEgress,
  };
}

/** Anthropic's API, where Claude Code goes unless `ANTHROPIC_BASE_URL` names a gateway. */
export const ANTHROPIC_API_URL = 'https://api.anthropic.com';

/**
 * Claude Code's model traffic through the host: one route, `ANTHROPIC_BASE_URL` pointing at it, and the
 * credential Claude Code would use (its own precedence, `resolveAuthMode`) added by the host as Claude Code
 * sends it: `ANTHROPIC_API_KEY` as `x-api-key`, `ANTHROPIC_AUTH_TOKEN` and `CLAUDE_CODE_OAUTH_TOKEN` as a
 * bearer token (with a subscription token Claude Code adds its own `anthropic-beta: oauth-…` header, which
 * passes through). The sandbox gets placeholders; a credential that loses the precedence is not passed at all.
 */
export function claudeEgress(env: Env): ProviderEgress {
  const mode = resolveAuthMode(env);
  if (mode === 'none') return { routes: [] };
  const setHeaders: Record<string, EgressHeaderSource> = {};
  if (mode === 'oauth-token') {
    setHeaders.authorization = { env: 'CLAUDE_CODE_OAUTH_TOKEN', prefix: 'Bearer ' };
  } else {
    if (env.ANTHROPIC_API_KEY?.trim()) setHeaders['x-api-key'] = { env: 'ANTHROPIC_API_KEY' };
    if (env.ANTHROPIC_AUTH_TOKEN?.trim())
      setHeaders.authorization = { env: 'ANTHROPIC_AUTH_TOKEN', prefix: 'Bearer ' };
  }
  return {
    routes: [
      {
        prefix: '/anthropic',
        upstream: env.ANTHROPIC_BASE_URL?.trim() || ANTHROPIC_API_URL,
        allowPaths: ['/v1/messages', '/v1/models'],
        check: { path: '/v1/models', headers: { 'anthropic-version': ANTHROPIC_API_VERSION } },
        setHeaders,
        baseUrlEnv: 'ANTHROPIC_BASE_URL',
        secretEnvKeys: Object.values(setHeaders).flatMap((source) => ('env' in source ? [source.env] : [])),
      },
    ],
  };
}

/** A human description of the credential Claude Code would use with `env`, or null when there is none. */
export function describeClaudeCredentials(env: Env): string | null {
  const model = env.CLAUDE_MODEL?.trim() || env.ANTHROPIC_MODEL?.trim();
  const suffix = model ? `, model ${model}` : '';
  const keyName = env.ANTHROPIC_API_KEY?.trim() ? 'ANTHROPIC_API_KEY' : 'ANTHROPIC_AUTH_TOKEN';
  const oauth = env.CLAUDE_CODE_OAUTH_TOKEN?.trim() ? '; it wins over CLAUDE_CODE_OAUTH_TOKEN' : '';
  switch (resolveAuthMode(env)) {
    case 'gateway':
      return `API key at ${env.ANTHROPIC_BASE_URL?.trim()} (${keyName})${oauth}${suffix}`;
    case 'api-key':
      return `Anthropic API key (${keyName})${oauth}${suffix}`;
    case 'oauth-token': {
      const base = env.ANTHROPIC_BASE_URL?.trim() ? ` at ${env.ANTHROPIC_BASE_URL.trim()}` : '';
      return `Claude subscription token (CLAUDE_CODE_OAUTH_TOKEN)${base}${suffix}`;
    }
    default:
      return null;
  }
}

/** The default instance (id `claude`). */
export const claudeHostContribution: ProviderHostContribution = createClaudeHostContribution();
