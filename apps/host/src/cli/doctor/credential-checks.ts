import fs from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../../config.js';
import { type DoctorCheck, fail, info, ok } from './doctor-check.js';

export interface CredentialCheckOptions {
  config: HostConfig;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

type ProviderState =
  | { configured: true; detail: string }
  | { configured: false; detail: string; hint: string };

const PROVIDERS = ['claude', 'codex', 'opencode'] as const;

/**
 * One line per provider: configured (✓), missing for the provider in use (✗, does not stop start: runs
 * fail), or not set up and not needed (·).
 */
export function checkCredentials(options: CredentialCheckOptions): DoctorCheck[] {
  const selected = options.config.AGENT_PROVIDER;
  const states = {
    claude: claudeState(options.config),
    codex: codexState(options),
    opencode: opencodeState(options),
  };
  const checks = PROVIDERS.map((provider) => {
    const state = states[provider];
    const name = `${provider} credentials`;
    if (state.configured)
      return ok(name, `${state.detail}${selected === provider ? ' (AGENT_PROVIDER)' : ''}`);
    if (selected === provider)
      return fail(name, `${state.detail}, and AGENT_PROVIDER=${provider}`, state.hint, false);
    return info(name, `${state.detail} (not needed unless a group uses ${provider})`, state.hint);
  });
  if (selected === 'mock')
    checks.push(ok('mock provider', 'AGENT_PROVIDER=mock: canned replies, no credentials'));
  const anyConfigured = PROVIDERS.some((provider) => states[provider].configured);
  if (!anyConfigured && selected === undefined) {
    checks.push(
      fail(
        'agent',
        'no provider has credentials: every agent run will fail',
        'set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN), run `codex login`, or set OPENAI_API_KEY in .env',
        false,
      ),
    );
  }
  return checks;
}

function claudeState(config: HostConfig): ProviderState {
  const endpoint = config.ANTHROPIC_BASE_URL ? `, endpoint ${config.ANTHROPIC_BASE_URL}` : '';
  if (config.ANTHROPIC_API_KEY && config.CLAUDE_CODE_OAUTH_TOKEN) {
    return {
      configured: true,
      detail: `ANTHROPIC_API_KEY and CLAUDE_CODE_OAUTH_TOKEN are both set${endpoint}`,
    };
  }
  if (config.ANTHROPIC_API_KEY) return { configured: true, detail: `ANTHROPIC_API_KEY${endpoint}` };
  if (config.CLAUDE_CODE_OAUTH_TOKEN) {
    return { configured: true, detail: `CLAUDE_CODE_OAUTH_TOKEN (subscription)${endpoint}` };
  }
  return {
    configured: false,
    detail: 'neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set',
    hint: 'set ANTHROPIC_API_KEY in .env, or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`',
  };
}

function codexState(options: CredentialCheckOptions): ProviderState {
  const { config } = options;
  const codexHome = options.env.CODEX_HOME || path.join(options.homeDir, '.codex');
  const authFile = path.join(codexHome, 'auth.json');
  const auth = readJsonFile(authFile);
  if (auth.kind === 'invalid') {
    return { configured: false, detail: `${authFile} is not valid JSON`, hint: 'run `codex login` again' };
  }
  // The brief's rule, as provider-codex applies it: a ChatGPT login wins over a key and a custom endpoint.
  if (auth.kind === 'ok') {
    const shadowed =
      config.OPENAI_API_KEY || config.OPENAI_BASE_URL
        ? '; it wins over OPENAI_API_KEY / OPENAI_BASE_URL'
        : '';
    return { configured: true, detail: `signed in (ChatGPT subscription): ${authFile}${shadowed}` };
  }
  if (config.OPENAI_BASE_URL) {
    const key = config.OPENAI_API_KEY ? 'with OPENAI_API_KEY' : 'without a key';
    return {
      configured: true,
      detail: `custom endpoint mode: OPENAI_BASE_URL=${config.OPENAI_BASE_URL} (${key})`,
    };
  }
  if (config.OPENAI_API_KEY) return { configured: true, detail: 'OPENAI_API_KEY' };
  return {
    configured: false,
    detail: `no ${authFile} and no OPENAI_API_KEY`,
    hint: 'run `codex login`, or set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible endpoint) in .env',
  };
}

function opencodeState(options: CredentialCheckOptions): ProviderState {
  const { config, env } = options;
  const dataHome = env.XDG_DATA_HOME || path.join(options.homeDir, '.local', 'share');
  const authFile = path.join(dataHome, 'opencode', 'auth.json');
  if (readJsonFile(authFile).kind === 'ok') return { configured: true, detail: `signed in: ${authFile}` };
  if (env.OPENCODE_API_KEY) return { configured: true, detail: 'OPENCODE_API_KEY' };
  const model = config.OPENCODE_MODEL;
  const vendor = model?.split('/')[0];
  if (vendor === 'anthropic' && config.ANTHROPIC_API_KEY) {
    return { configured: true, detail: `OPENCODE_MODEL=${model} with ANTHROPIC_API_KEY` };
  }
  if (vendor === 'openai' && config.OPENAI_API_KEY) {
    return { configured: true, detail: `OPENCODE_MODEL=${model} with OPENAI_API_KEY` };
  }
  return {
    configured: false,
    detail: model ? `no key for OPENCODE_MODEL=${model}` : 'no OpenCode sign-in and no OPENCODE_MODEL',
    hint: 'run `opencode auth login`, or set OPENCODE_MODEL (provider/model) and that provider’s key',
  };
}

function readJsonFile(file: string): { kind: 'missing' } | { kind: 'invalid' } | { kind: 'ok' } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { kind: 'missing' };
  }
  try {
    JSON.parse(text);
    return { kind: 'ok' };
  } catch {
    return { kind: 'invalid' };
  }
}
