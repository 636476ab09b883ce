import {
  describeHeaderSource,
  type EgressHeaderSource,
  type ProviderEgress,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { createClaudeHostContribution } from '@nanoclaw/provider-claude/host';
import { createCodexHostContribution } from '@nanoclaw/provider-codex/host';
import { createOpencodeHostContribution } from '@nanoclaw/provider-opencode/host';
import { usesEgressProxy } from '../../agent-pool/sandbox-egress-plan.js';
import { configAsEnv, type HostConfig } from '../../config.js';
import { describeProvider } from '../../groups/index.js';
import { type DoctorCheck, fail, info, ok, warn } from './doctor-check.js';
import type { DoctorGroups } from './doctor-groups.js';

export interface CredentialCheckOptions {
  config: HostConfig;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** The sandbox runtime agents run in (the probed one), for how model traffic flows; unknown: an isolated one. */
  runtime?: string;
  /** The groups and their providers (`readDoctorGroups`). */
  groups: DoctorGroups;
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
  const groups = groupChecks(options.groups, described);
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

/** A credential as doctor names it: the env key (`ANTHROPIC_API_KEY`), or the field of a login file. */
export function describeSource(source: EgressHeaderSource): string {
  return 'env' in source ? source.env : describeHeaderSource(source);
}

/** The built-in providers' host contributions, finding their logins under `homeDir`. */
export function providerContributions(homeDir: string): Record<ProviderId, ProviderHostContribution> {
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
 * One line per group: its provider and where that choice comes from (as the start log and `nanoclaw status` say
 * it), and that provider's credentials; and the providers in use (the default's among them).
 */
function groupChecks(
  { groups, groupDefault }: DoctorGroups,
  described: Record<ProviderId, string | null>,
): { checks: DoctorCheck[]; providers: string[] } {
  const checks: DoctorCheck[] = [];
  // The default provider is in use by every group that names none, the ones still to be created included.
  const providers: string[] = [groupDefault.id];
  for (const group of groups) {
    const name = `group ${group.folder}`;
    if (!group.served) {
      checks.push(
        info(
          name,
          'no group uses this folder: the host does not serve it',
          `\`nanoclaw groups add ${group.folder}\` adopts it`,
        ),
      );
      continue;
    }
    if (group.configError) {
      checks.push(fail(name, group.configError, 'fix the key named above', false));
      continue;
    }
    const { id } = group.provider;
    const provider = describeProvider(group.provider);
    providers.push(id);
    if (id === 'mock') {
      checks.push(info(name, `${provider}: canned replies`));
      continue;
    }
    const detail = (PROVIDERS as readonly string[]).includes(id) ? described[id as ProviderId] : null;
    if (detail) checks.push(ok(name, `${provider}: ${detail}`));
    else {
      const hint = HINTS[id as ProviderId] ?? `no provider "${id}" is built in`;
      checks.push(fail(name, `${provider} has no credentials: its runs will fail`, hint, false));
    }
  }
  return { checks, providers };
}
