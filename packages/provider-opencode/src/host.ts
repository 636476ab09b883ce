import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type ProviderEgress,
  type ProviderEgressCheck,
  type ProviderEgressRoute,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { resolveOpencodeBinary } from './binary.js';
import { CUSTOM_PROVIDER_ID, OPENCODE_ENV_KEYS, VENDOR_BASE_URL_ENV, VENDOR_KEYS } from './config.js';

export interface OpencodeHostContributionOptions {
  /** The host user's home, where `~/.local/share/opencode/auth.json` lives (default `os.homedir()`). */
  hostHome?: string;
  /** Provider id (default `opencode`). */
  id?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** opencode's data dir under HOME: sessions (`opencode.db`), logs and `auth.json` (from `opencode auth login`). */
export const OPENCODE_HOME_DIR = '.local/share/opencode';

/** The host's opencode login file: `$XDG_DATA_HOME/opencode/auth.json`, else `<home>/.local/share/opencode/auth.json`. */
export function hostAuthPath(env: Env, hostHome: string = os.homedir()): string {
  const dataHome = env.XDG_DATA_HOME?.trim() || path.join(hostHome, '.local', 'share');
  return path.join(dataHome, 'opencode', 'auth.json');
}

/**
 * The host side of the OpenCode provider: which env keys enter the sandbox (`OPENCODE_ENV_KEYS`), where its
 * state lives (`$HOME/.local/share/opencode`, one per session: the session database, so resume works across
 * sandbox restarts), and the login copy: `prepareHome` copies the host's `auth.json` (an `opencode auth login`)
 * into the session's data dir with mode 0600, when the session has none or the host's is newer.
 */
export function createOpencodeHostContribution(
  options: OpencodeHostContributionOptions = {},
): ProviderHostContribution {
  const hostHome = () => options.hostHome ?? os.homedir();
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id: options.id ?? 'opencode',
    envAllowlist: OPENCODE_ENV_KEYS,
    credentialEnvKeys: Object.values(VENDOR_KEYS),
    homeDir: OPENCODE_HOME_DIR,
    /** `homePath` is the per-session data dir (mounted at `$HOME/.local/share/opencode` in the sandbox). */
    async prepareHome({ homePath, env }) {
      await fs.mkdir(homePath, { recursive: true, mode: 0o700 });
      const source = hostAuthPath(env, hostHome());
      const sourceStat = await fs.stat(source).catch(() => undefined);
      if (!sourceStat?.isFile()) return;
      const target = path.join(homePath, 'auth.json');
      const targetStat = await fs.stat(target).catch(() => undefined);
      if (targetStat && targetStat.mtimeMs >= sourceStat.mtimeMs) return;
      await fs.writeFile(target, await fs.readFile(source), { mode: 0o600 });
      await fs.chmod(target, 0o600);
    },
    /** The native binary the postinstall linked (a Bun executable), spawned inside via `OPENCODE_BIN`. */
    resolveBinary: () => ({ path: resolveOpencodeBinary(), envKey: 'OPENCODE_BIN' }),
    describeCredentials(env) {
      const model = env.OPENCODE_MODEL?.trim() ? `, model ${env.OPENCODE_MODEL.trim()}` : '';
      const baseUrl = env.OPENAI_BASE_URL?.trim();
      if (baseUrl) {
        const key = env.OPENAI_API_KEY?.trim() ? 'with OPENAI_API_KEY' : 'without a key';
        return `OpenAI-compatible endpoint ${baseUrl} as provider ${CUSTOM_PROVIDER_ID} (${key})${model}`;
      }
      const keys = Object.values(VENDOR_KEYS).filter((key) => env[key]?.trim());
      const authFile = hostAuthPath(env, hostHome());
      const logins = readLoginProviders(authFile);
      const parts = [
        ...(keys.length > 0 ? [keys.join(', ')] : []),
        ...(logins.length > 0 ? [`opencode login for ${logins.join(', ')} (${authFile})`] : []),
      ];
      return parts.length > 0 ? `${parts.join('; ')}${model}` : null;
    },
    egress(env) {
      const authFile = hostAuthPath(env, hostHome());
      return opencodeEgress(env, readLoginProviders(authFile), authFile);
    },
  };
}

/** The API of each vendor whose key opencode reads, as its built-in provider reaches it, and how the key is sent. */
export const VENDOR_APIS: Readonly<
  Record<
    string,
    {
      upstream: string;
      allowPaths: readonly string[];
      header: string;
      prefix?: string;
      check: ProviderEgressCheck;
    }
  >
> = {
  openai: {
    upstream: 'https://api.openai.com/v1',
    allowPaths: ['/responses', '/chat/completions', '/models'],
    header: 'authorization',
    prefix: 'Bearer ',
    check: { path: '/models' },
  },
  anthropic: {
    upstream: 'https://api.anthropic.com/v1',
    allowPaths: ['/messages', '/models'],
    header: 'x-api-key',
    check: { path: '/models', headers: { 'anthropic-version': '2023-06-01' } },
  },
  openrouter: {
    upstream: 'https://openrouter.ai/api/v1',
    allowPaths: ['/chat/completions', '/completions', '/models'],
    header: 'authorization',
    prefix: 'Bearer ',
    check: { path: '/models' },
  },
  deepseek: {
    upstream: 'https://api.deepseek.com',
    allowPaths: ['/chat/completions', '/models'],
    header: 'authorization',
    prefix: 'Bearer ',
    check: { path: '/models' },
  },
  groq: {
    upstream: 'https://api.groq.com/openai/v1',
    allowPaths: ['/chat/completions', '/models'],
    header: 'authorization',
    prefix: 'Bearer ',
    check: { path: '/models' },
  },
  google: {
    upstream: 'https://generativelanguage.googleapis.com/v1beta',
    allowPaths: ['/models'],
    header: 'x-goog-api-key',
    check: { path: '/models' },
  },
};

/** Hosts an `opencode auth login` of each provider reaches itself (API and token refresh). */
export const LOGIN_HOSTS: Readonly<Record<string, readonly string[]>> = {
  anthropic: ['api.anthropic.com:443', 'console.anthropic.com:443'],
  openai: ['api.openai.com:443', 'chatgpt.com:443', 'auth.openai.com:443'],
  openrouter: ['openrouter.ai:443'],
  deepseek: ['api.deepseek.com:443'],
  groq: ['api.groq.com:443'],
  google: ['generativelanguage.googleapis.com:443'],
  'github-copilot': ['api.githubcopilot.com:443', 'api.github.com:443', 'github.com:443'],
};

/**
 * opencode's model traffic through the host: a route per vendor key that is set (its built-in provider's
 * `baseURL` points at it, `VENDOR_BASE_URL_ENV`), and one for an `OPENAI_BASE_URL` endpoint (provider
 * `nanoclaw`, whose sandbox `OPENAI_BASE_URL` points at it); the host adds each key, the sandbox gets
 * placeholders. An `opencode auth login` stays in the session (opencode refreshes its tokens itself): the named
 * exception, with CONNECT to that provider's hosts.
 */
export function opencodeEgress(env: Env, logins: readonly string[], authFile: string): ProviderEgress {
  const routes: ProviderEgressRoute[] = [];
  const keyHeader = (vendor: string) => {
    const api = VENDOR_APIS[vendor];
    const key = VENDOR_KEYS[vendor];
    if (!api || !key) return undefined;
    return { [api.header]: { env: key, ...(api.prefix ? { prefix: api.prefix } : {}) } };
  };
  const baseURL = env.OPENAI_BASE_URL?.trim();
  if (baseURL) {
    const withKey = env.OPENAI_API_KEY?.trim() ? keyHeader('openai') : undefined;
    routes.push({
      prefix: `/${CUSTOM_PROVIDER_ID}`,
      upstream: baseURL,
      allowPaths: ['/chat/completions', '/responses', '/models'],
      check: { path: '/models' },
      baseUrlEnv: 'OPENAI_BASE_URL',
      ...(withKey ? { setHeaders: withKey, secretEnvKeys: ['OPENAI_API_KEY'] } : {}),
    });
  }
  for (const [vendor, key] of Object.entries(VENDOR_KEYS)) {
    const api = VENDOR_APIS[vendor];
    const setHeaders = keyHeader(vendor);
    const baseUrlEnv = VENDOR_BASE_URL_ENV[vendor];
    if (!env[key]?.trim() || !api || !setHeaders || !baseUrlEnv) continue;
    routes.push({
      prefix: `/${vendor}`,
      upstream: api.upstream,
      allowPaths: api.allowPaths,
      check: api.check,
      setHeaders,
      baseUrlEnv,
      secretEnvKeys: [key],
    });
  }
  if (logins.length === 0) return { routes };
  return {
    routes,
    connectHosts: [...new Set(logins.flatMap((provider) => LOGIN_HOSTS[provider] ?? []))],
    exceptions: [
      {
        credential: `the opencode login for ${logins.join(', ')} (${authFile}, copied into the session)`,
        reason: 'opencode refreshes and sends those tokens itself',
      },
    ],
  };
}

/** The default instance: the host user's opencode login. */
export const opencodeHostContribution: ProviderHostContribution = createOpencodeHostContribution();

function readLoginProviders(file: string): string[] {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return [];
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? Object.keys(parsed).sort() : [];
  } catch {
    return [];
  }
}
