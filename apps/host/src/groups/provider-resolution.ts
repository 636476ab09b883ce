import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, Logger } from '@nanoclaw/core';
import type { HostDb } from './db-types.js';
import { MAIN_SESSION_KEY } from './session-store.js';

/**
 * Which setting decided a session's provider: its pin (`session`), `groups add --provider` (`group`), the
 * group's `container.json`, `AGENT_PROVIDER`, else the credentials found (`credentials`), or none at all (`no
 * credentials`: the mock).
 */
export type ProviderSource =
  | 'session'
  | 'group'
  | 'container.json'
  | 'AGENT_PROVIDER'
  | 'credentials'
  | 'no credentials';

/** The one provider the host picks for a session, and which setting decided it. */
export interface ResolvedProvider {
  id: string;
  source: ProviderSource;
}

/** The provider used when nothing names one, and why (shown by `status` / `doctor`). */
export interface DefaultProvider {
  id: string;
  reason: string;
  source: 'credentials' | 'no credentials';
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
  const found = (id: string, reason: string): DefaultProvider => ({ id, reason, source: 'credentials' });
  if (isSet(env.ANTHROPIC_API_KEY)) return found('claude', 'ANTHROPIC_API_KEY is set');
  if (isSet(env.CLAUDE_CODE_OAUTH_TOKEN)) return found('claude', 'CLAUDE_CODE_OAUTH_TOKEN is set');
  if (isSet(env.OPENAI_API_KEY)) return found('codex', 'OPENAI_API_KEY is set');
  const codexHome = isSet(env.CODEX_HOME)
    ? env.CODEX_HOME
    : path.join(options.homeDir ?? os.homedir(), '.codex');
  const authFile = path.join(codexHome, 'auth.json');
  if (exists(authFile)) return found('codex', `a Codex login was found (${authFile})`);
  return {
    id: 'mock',
    source: 'no credentials',
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
 * the credential default. Decided once, on the host; the runner is told the result. The start log, `nanoclaw
 * status` and `nanoclaw doctor` show it through `resolveGroupProviders` and `describeProvider`.
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
  return { id: fallback.defaultProvider.id, source: fallback.defaultProvider.source };
}

export interface ProviderResolver {
  /** The provider the credentials pick (used when no setting names one). */
  readonly defaultProvider: DefaultProvider;
  /** What a group that names no provider runs on: `AGENT_PROVIDER`, else `defaultProvider`. */
  readonly groupDefault: ResolvedProvider;
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
    groupDefault: resolveProvider({ group: { agentProvider: null, containerConfig: null } }, fallback),
    resolve: (choice) => resolveProvider(choice, fallback),
  };
}

/** `codex (group)`: a resolved provider as the start log, `nanoclaw status` and `nanoclaw doctor` show it. */
export function describeProvider(provider: ResolvedProvider): string {
  return `${provider.id} (${provider.source})`;
}

/** A group as provider resolution reads it; `id` is absent for a folder no group is registered for yet. */
export interface ProviderGroup {
  id?: string;
  folder: string;
  agentProvider: string | null;
  containerConfig: ContainerConfig | null;
}

/**
 * The provider a group's main session runs on (what the group's next chat message uses): the session's pin read
 * from `db` (absent: no pins, e.g. before the first start), then `resolver.resolve`. The one way the start log,
 * `nanoclaw status` and `nanoclaw doctor` find it.
 */
export async function resolveGroupProvider(
  db: HostDb | undefined,
  group: ProviderGroup,
  resolver: Pick<ProviderResolver, 'resolve'>,
): Promise<ResolvedProvider> {
  const pin =
    db && group.id
      ? await db
          .selectFrom('sessions')
          .select('agent_provider')
          .where('group_id', '=', group.id)
          .where('key', '=', MAIN_SESSION_KEY)
          .executeTakeFirst()
      : undefined;
  return resolver.resolve({ session: pin ? { agentProvider: pin.agent_provider } : null, group });
}

/** `{ main: 'codex (group)', … }`: each group's provider (for the start log), as `status` and `doctor` show it. */
export async function describeGroupProviders(
  db: HostDb | undefined,
  groups: readonly ProviderGroup[],
  resolver: Pick<ProviderResolver, 'resolve'>,
): Promise<Record<string, string>> {
  const described = await Promise.all(
    groups.map(async (group) => [
      group.folder,
      describeProvider(await resolveGroupProvider(db, group, resolver)),
    ]),
  );
  return Object.fromEntries(described);
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
