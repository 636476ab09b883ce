import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, Logger } from '@nanoclaw/core';

export type ProviderSource = 'session' | 'group' | 'container.json' | 'AGENT_PROVIDER' | 'default';

/** The one provider the host picks for a session, and which setting decided it. */
export interface ResolvedProvider {
  id: string;
  source: ProviderSource;
}

/** The provider used when nothing names one, and why (shown by `status` / `doctor`). */
export interface DefaultProvider {
  id: string;
  reason: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface DetectDefaultProviderOptions {
  env: Env;
  /** Where `~/.codex/auth.json` is looked for. Default `os.homedir()`. */
  homeDir?: string;
  fileExists?: (file: string) => boolean;
}

/**
 * The default from the credentials present: an Anthropic key or Claude Code OAuth token → `claude`; else an
 * OpenAI key or a Codex login (`$CODEX_HOME/auth.json`, else `~/.codex/auth.json`) → `codex`; else `mock`.
 */
export function detectDefaultProvider(options: DetectDefaultProviderOptions): DefaultProvider {
  const { env } = options;
  const exists = options.fileExists ?? ((file: string) => fs.existsSync(file));
  if (isSet(env.ANTHROPIC_API_KEY)) return { id: 'claude', reason: 'ANTHROPIC_API_KEY is set' };
  if (isSet(env.CLAUDE_CODE_OAUTH_TOKEN)) return { id: 'claude', reason: 'CLAUDE_CODE_OAUTH_TOKEN is set' };
  if (isSet(env.OPENAI_API_KEY)) return { id: 'codex', reason: 'OPENAI_API_KEY is set' };
  const codexHome = isSet(env.CODEX_HOME)
    ? env.CODEX_HOME
    : path.join(options.homeDir ?? os.homedir(), '.codex');
  const authFile = path.join(codexHome, 'auth.json');
  if (exists(authFile)) return { id: 'codex', reason: `a Codex login was found (${authFile})` };
  return {
    id: 'mock',
    reason:
      'no agent credentials found (ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN, OPENAI_API_KEY or ~/.codex/auth.json): ' +
      'agents answer with the mock provider',
  };
}

export interface ProviderChoice {
  session?: { agentProvider: string | null } | null;
  group: { agentProvider: string | null; containerConfig: ContainerConfig | null };
}

/**
 * `sessions.agent_provider` → `agent_groups.agent_provider` → `container.json` `provider` → `AGENT_PROVIDER` →
 * the credential default. Decided once, on the host; the runner is told the result.
 */
export function resolveProvider(
  choice: ProviderChoice,
  fallback: { agentProvider?: string | undefined; defaultProvider: DefaultProvider },
): ResolvedProvider {
  if (choice.session?.agentProvider) return { id: choice.session.agentProvider, source: 'session' };
  if (choice.group.agentProvider) return { id: choice.group.agentProvider, source: 'group' };
  const fromFile = choice.group.containerConfig?.provider;
  if (fromFile) return { id: fromFile, source: 'container.json' };
  if (fallback.agentProvider) return { id: fallback.agentProvider, source: 'AGENT_PROVIDER' };
  return { id: fallback.defaultProvider.id, source: 'default' };
}

export interface ProviderResolver {
  readonly defaultProvider: DefaultProvider;
  resolve(choice: ProviderChoice): ResolvedProvider;
}

export interface ProviderResolverOptions extends DetectDefaultProviderOptions {
  /** The validated `AGENT_PROVIDER` setting. */
  agentProvider?: string | undefined;
  /** When given, a `mock` default is logged once, loudly. */
  logger?: Logger;
}

/** Detects the default once (credentials do not change while the host runs) and resolves per session. */
export function createProviderResolver(options: ProviderResolverOptions): ProviderResolver {
  const defaultProvider = detectDefaultProvider(options);
  if (defaultProvider.id === 'mock' && !options.agentProvider) {
    options.logger?.warn({ provider: 'mock' }, `NO AGENT PROVIDER CONFIGURED: ${defaultProvider.reason}`);
  }
  const fallback = { agentProvider: options.agentProvider, defaultProvider };
  return {
    defaultProvider,
    resolve: (choice) => resolveProvider(choice, fallback),
  };
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
