import fs from 'node:fs';
import path from 'node:path';
import { type ContainerConfig, containerConfigSchema, type ProviderHostContribution } from '@nanoclaw/core';
import { createClaudeHostContribution } from '@nanoclaw/provider-claude/host';
import { createCodexHostContribution } from '@nanoclaw/provider-codex/host';
import { createOpencodeHostContribution } from '@nanoclaw/provider-opencode/host';
import { configAsEnv, type HostConfig } from '../../config.js';
import { detectDefaultProvider } from '../../groups/index.js';
import { type DoctorCheck, fail, info, ok } from './doctor-check.js';

export interface CredentialCheckOptions {
  config: HostConfig;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

const PROVIDERS = ['claude', 'codex', 'opencode'] as const;
type ProviderId = (typeof PROVIDERS)[number];

/** How to give each provider a credential. */
const HINTS: Record<ProviderId, string> = {
  claude: 'set ANTHROPIC_API_KEY in .env, or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`',
  codex: 'run `codex login`, or set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible endpoint) in .env',
  opencode: 'run `opencode auth login`, or set OPENCODE_MODEL (provider/model) and that provider’s key',
};

/**
 * The providers' own view of their credentials (their host contributions' `describeCredentials`, the code that
 * decides inside the sandbox too): one line per provider, then one per group saying which provider and which
 * credential mode it runs on.
 */
export function checkCredentials(options: CredentialCheckOptions): DoctorCheck[] {
  const { config } = options;
  const env = credentialEnv(options);
  const contributions = providerContributions(options.homeDir);
  const described = Object.fromEntries(
    PROVIDERS.map((id) => [id, contributions[id].describeCredentials(env)]),
  ) as Record<ProviderId, string | null>;
  const selected = config.AGENT_PROVIDER;
  const checks = PROVIDERS.map((id) => {
    const name = `${id} credentials`;
    const detail = described[id];
    if (detail) return ok(name, `${detail}${selected === id ? ' (AGENT_PROVIDER)' : ''}`);
    if (selected === id) return fail(name, `none configured, and AGENT_PROVIDER=${id}`, HINTS[id], false);
    return info(name, `none configured (not needed unless a group uses ${id})`, HINTS[id]);
  });
  if (selected === 'mock')
    checks.push(ok('mock provider', 'AGENT_PROVIDER=mock: canned replies, no credentials'));
  checks.push(...groupChecks(options, described));
  return checks;
}

function providerContributions(homeDir: string): Record<ProviderId, ProviderHostContribution> {
  return {
    claude: createClaudeHostContribution(),
    codex: createCodexHostContribution({ hostHome: homeDir }),
    opencode: createOpencodeHostContribution({ hostHome: homeDir }),
  };
}

/** The config as the sandboxes get it, plus where the host's own logins live. */
function credentialEnv(options: CredentialCheckOptions): Record<string, string | undefined> {
  return {
    ...configAsEnv(options.config),
    CODEX_HOME: options.env.CODEX_HOME,
    XDG_DATA_HOME: options.env.XDG_DATA_HOME,
  };
}

/** One line per group folder: its provider (container.json, else the default) and that provider's credentials. */
function groupChecks(
  options: CredentialCheckOptions,
  described: Record<ProviderId, string | null>,
): DoctorCheck[] {
  const { config } = options;
  const fallback = config.AGENT_PROVIDER
    ? { id: config.AGENT_PROVIDER, reason: 'AGENT_PROVIDER' }
    : detectDefaultProvider({ env: credentialEnv(options), homeDir: options.homeDir });
  const checks: DoctorCheck[] = [];
  for (const folder of groupFolders(config.NANOCLAW_GROUPS_DIR)) {
    const name = `group ${folder}`;
    const container = readContainerConfig(path.join(config.NANOCLAW_GROUPS_DIR, folder, 'container.json'));
    if ('error' in container) {
      checks.push(fail(name, `container.json: ${container.error}`, 'fix the key named above', false));
      continue;
    }
    const id = container.config?.provider ?? fallback.id;
    const source = container.config?.provider ? 'container.json' : fallback.reason;
    if (id === 'mock') {
      checks.push(info(name, `mock (${source}): canned replies`));
      continue;
    }
    const detail = (PROVIDERS as readonly string[]).includes(id) ? described[id as ProviderId] : null;
    if (detail) checks.push(ok(name, `${id} (${source}): ${detail}`));
    else {
      const hint = HINTS[id as ProviderId] ?? `no provider "${id}" is built in`;
      checks.push(fail(name, `${id} (${source}) has no credentials: its runs will fail`, hint, false));
    }
  }
  return checks;
}

function groupFolders(groupsDir: string): string[] {
  try {
    return fs
      .readdirSync(groupsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'global' && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

function readContainerConfig(file: string): { config?: ContainerConfig } | { error: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = containerConfigSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { config: parsed.data };
    const issue = parsed.error.issues[0];
    return { error: `${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}` };
  } catch (error) {
    return { error: `not valid JSON (${(error as Error).message})` };
  }
}
