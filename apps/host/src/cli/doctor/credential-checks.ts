import fs from 'node:fs';
import path from 'node:path';
import {
  type ContainerConfig,
  containerConfigSchema,
  type EgressHeaderSource,
  type ProviderEgress,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { createClaudeHostContribution } from '@nanoclaw/provider-claude/host';
import { createCodexHostContribution } from '@nanoclaw/provider-codex/host';
import { createOpencodeHostContribution } from '@nanoclaw/provider-opencode/host';
import { usesEgressProxy } from '../../agent-pool/sandbox-egress-plan.js';
import { configAsEnv, type HostConfig } from '../../config.js';
import { detectDefaultProvider } from '../../groups/index.js';
import { type DoctorCheck, fail, info, ok, warn } from './doctor-check.js';

export interface CredentialCheckOptions {
  config: HostConfig;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** The sandbox runtime agents run in (the probed one), for how model traffic flows; unknown: an isolated one. */
  runtime?: string;
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
 * decides inside the sandbox too): one line per provider, one per group saying which provider and which
 * credential mode it runs on, then per provider in use how its model traffic flows (`egress`) and which
 * credential, if any, stays readable in the sandbox.
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
  const groups = groupChecks(options, described);
  checks.push(...groups.checks);
  const inUse = new Set([...(selected && selected !== 'mock' ? [selected] : []), ...groups.providers]);
  for (const id of PROVIDERS.filter((provider) => inUse.has(provider))) {
    checks.push(modelTrafficCheck(id, contributions[id], env, options.runtime));
  }
  return checks;
}

/** How a provider's model traffic leaves a sandbox on this runtime, and the credentials that stay readable inside. */
function modelTrafficCheck(
  id: ProviderId,
  contribution: ProviderHostContribution,
  env: Readonly<Record<string, string | undefined>>,
  runtime: string | undefined,
): DoctorCheck {
  const name = `${id} model traffic`;
  if (runtime === 'process' || (runtime !== undefined && !usesEgressProxy(runtime, 'none'))) {
    return warn(
      name,
      `the ${runtime} runtime runs agents without the host's egress proxy: their credentials are in their env`,
      'use bwrap or docker (NANOCLAW_RUNTIME) to keep credentials on the host',
    );
  }
  const egress: ProviderEgress = contribution.egress?.(env) ?? { routes: [] };
  const lines = egress.routes.map((route) => {
    const added = Object.entries(route.setHeaders ?? {}).map(
      ([header, source]) => `${describeSource(source)} as ${header}`,
    );
    const credential = added.length > 0 ? `, the host adds ${added.join(' and ')}` : ', no credential';
    return `through the host's egress proxy to ${route.upstream}${credential}`;
  });
  if (egress.connectHosts?.length) {
    lines.push(
      `the runtime reaches ${egress.connectHosts.join(', ')} itself (CONNECT through the host, also with network "none")`,
    );
  }
  if (lines.length === 0) lines.push('no model route (no credentials configured)');
  const exceptions = egress.exceptions ?? [];
  const readable = exceptions.map((e) => `readable in the sandbox: ${e.credential} (${e.reason})`);
  const detail = [...lines, ...readable].join('\n');
  if (exceptions.length === 0) return ok(name, `${detail}\nno credential enters the sandbox`);
  return warn(name, detail, 'an API key instead keeps every credential on the host');
}

function describeSource(source: EgressHeaderSource): string {
  return 'env' in source ? source.env : `${source.jsonKey} of ${source.file}`;
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

/**
 * One line per group folder: its provider (container.json, else the default) and that provider's credentials;
 * and the providers in use (the default's among them).
 */
function groupChecks(
  options: CredentialCheckOptions,
  described: Record<ProviderId, string | null>,
): { checks: DoctorCheck[]; providers: string[] } {
  const { config } = options;
  const fallback = config.AGENT_PROVIDER
    ? { id: config.AGENT_PROVIDER, reason: 'AGENT_PROVIDER' }
    : detectDefaultProvider({ env: credentialEnv(options), homeDir: options.homeDir });
  const checks: DoctorCheck[] = [];
  // The default provider is in use by every group that names none, the ones still to be created included.
  const providers: string[] = [fallback.id];
  for (const folder of groupFolders(config.NANOCLAW_GROUPS_DIR)) {
    const name = `group ${folder}`;
    const container = readContainerConfig(path.join(config.NANOCLAW_GROUPS_DIR, folder, 'container.json'));
    if ('error' in container) {
      checks.push(fail(name, `container.json: ${container.error}`, 'fix the key named above', false));
      continue;
    }
    const id = container.config?.provider ?? fallback.id;
    providers.push(id);
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
  return { checks, providers };
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
