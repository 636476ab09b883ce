import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type EgressHeaderSource,
  type ProviderEgress,
  type ProviderEgressCheck,
  type ProviderEgressRoute,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { resolveOpencodeBinary } from './binary.js';
import {
  CUSTOM_PROVIDER_ID,
  OPENCODE_AGENT_CONTEXT,
  OPENCODE_ENV_KEYS,
  VENDOR_BASE_URL_ENV,
  VENDOR_KEYS,
} from './config.js';

export interface OpencodeHostContributionOptions {
  /** The host user's home, where `~/.local/share/opencode/auth.json` lives (default `os.homedir()`). */
  hostHome?: string;
  /** Provider id (default `opencode`). */
  id?: string;
  /** The vendors' APIs the host routes to (default `VENDOR_APIS`; tests point one at a loopback fake). */
  vendorApis?: Readonly<Record<string, VendorApi>>;
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
 * into the session's data dir with mode 0600, when the session has none or the host's is newer; in an isolated
 * sandbox without the plain API keys the host routes (`opencodeEgress`).
 */
export function createOpencodeHostContribution(
  options: OpencodeHostContributionOptions = {},
): ProviderHostContribution {
  const hostHome = () => options.hostHome ?? os.homedir();
  const apis = options.vendorApis ?? VENDOR_APIS;
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id: options.id ?? 'opencode',
    envAllowlist: OPENCODE_ENV_KEYS,
    credentialEnvKeys: Object.values(VENDOR_KEYS),
    homeDir: OPENCODE_HOME_DIR,
    agentContext: OPENCODE_AGENT_CONTEXT,
    /** `homePath` is the per-session data dir (mounted at `$HOME/.local/share/opencode` in the sandbox). */
    async prepareHome({ homePath, env, egress }) {
      await fs.mkdir(homePath, { recursive: true, mode: 0o700 });
      const target = path.join(homePath, 'auth.json');
      await copyLogin(hostAuthPath(env, hostHome()), target, egress ? apis : undefined);
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
      const logins = Object.keys(readAuthFile(authFile) ?? {}).sort();
      const parts = [
        ...(keys.length > 0 ? [keys.join(', ')] : []),
        ...(logins.length > 0 ? [`opencode login for ${logins.join(', ')} (${authFile})`] : []),
      ];
      return parts.length > 0 ? `${parts.join('; ')}${model}` : null;
    },
    egress(env) {
      const authFile = hostAuthPath(env, hostHome());
      return opencodeEgress(env, hostLogins(readAuthFile(authFile) ?? {}, apis), authFile, apis);
    },
  };
}

/** A vendor's API as opencode's built-in provider reaches it, and how the key is sent. */
export interface VendorApi {
  upstream: string;
  allowPaths: readonly string[];
  header: string;
  prefix?: string;
  check: ProviderEgressCheck;
}

/** The API of each vendor whose key opencode reads, by opencode provider id. */
export const VENDOR_APIS: Readonly<Record<string, VendorApi>> = {
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
 * The host's opencode logins (`auth.json`, by provider id): `routed`, the plain API keys (`"type":"api"`) of
 * vendors the host has a route for; `kept`, every other login (OAuth, well-known tokens, keys of providers
 * without a route), which opencode reads, sends and refreshes itself.
 */
export interface OpencodeLogins {
  routed: string[];
  kept: string[];
}

export function hostLogins(
  auth: Readonly<Record<string, unknown>>,
  apis: Readonly<Record<string, VendorApi>> = VENDOR_APIS,
): OpencodeLogins {
  const providers = Object.keys(auth).sort();
  const routed = providers.filter((provider) => isRoutedLogin(provider, auth[provider], apis));
  return { routed, kept: providers.filter((provider) => !routed.includes(provider)) };
}

/**
 * opencode's model traffic through the host: a route per vendor key, from the env (`ANTHROPIC_API_KEY`, ...)
 * or else from a plain API-key login in the host's `auth.json` (its built-in provider's `baseURL` points at the
 * route, `VENDOR_BASE_URL_ENV`), and one for an `OPENAI_BASE_URL` endpoint (provider `nanoclaw`, whose sandbox
 * `OPENAI_BASE_URL` points at it); the host adds each key, the sandbox gets placeholders. The other logins
 * (OAuth) stay in the session, as opencode refreshes their tokens itself: the named exception, with CONNECT to
 * those providers' hosts.
 */
export function opencodeEgress(
  env: Env,
  logins: OpencodeLogins,
  authFile: string,
  apis: Readonly<Record<string, VendorApi>> = VENDOR_APIS,
): ProviderEgress {
  const routes: ProviderEgressRoute[] = [];
  const baseURL = env.OPENAI_BASE_URL?.trim();
  if (baseURL) {
    const withKey = env.OPENAI_API_KEY?.trim()
      ? keyHeader(apis, 'openai', { env: 'OPENAI_API_KEY' })
      : undefined;
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
    const fromEnv = env[key]?.trim() ? { env: key } : undefined;
    const fromLogin = logins.routed.includes(vendor)
      ? { file: authFile, jsonKey: [vendor, 'key'] }
      : undefined;
    const route = vendorRoute(apis, vendor, fromEnv ?? fromLogin);
    if (route) routes.push(route);
  }
  if (logins.kept.length === 0) return { routes };
  return {
    routes,
    connectHosts: [...new Set(logins.kept.flatMap((provider) => LOGIN_HOSTS[provider] ?? []))],
    exceptions: [
      {
        credential: `the opencode login for ${logins.kept.join(', ')} (${authFile}, copied into the session)`,
        reason:
          'opencode sends and refreshes those credentials itself (OAuth, or a provider without a host route)',
      },
    ],
  };
}

/** The route of a vendor's built-in provider with its key from `source`, or undefined (no key, no known API). */
function vendorRoute(
  apis: Readonly<Record<string, VendorApi>>,
  vendor: string,
  source: EgressHeaderSource | undefined,
): ProviderEgressRoute | undefined {
  const api = apis[vendor];
  const key = VENDOR_KEYS[vendor];
  const baseUrlEnv = VENDOR_BASE_URL_ENV[vendor];
  const setHeaders = source && keyHeader(apis, vendor, source);
  if (!api || !key || !baseUrlEnv || !setHeaders) return undefined;
  return {
    prefix: `/${vendor}`,
    upstream: api.upstream,
    allowPaths: api.allowPaths,
    check: api.check,
    setHeaders,
    baseUrlEnv,
    secretEnvKeys: [key],
  };
}

/** The header a vendor's API takes its key in, read from `source` (with the vendor's prefix, e.g. `Bearer `). */
function keyHeader(
  apis: Readonly<Record<string, VendorApi>>,
  vendor: string,
  source: EgressHeaderSource,
): Record<string, EgressHeaderSource> | undefined {
  const api = apis[vendor];
  if (!api) return undefined;
  return { [api.header]: { ...source, ...(api.prefix ? { prefix: api.prefix } : {}) } };
}

/** A plain API key (`{"type":"api","key":"..."}`) of a vendor whose API, key and base URL the host knows. */
function isRoutedLogin(provider: string, entry: unknown, apis: Readonly<Record<string, VendorApi>>): boolean {
  const login = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
  return (
    login.type === 'api' &&
    typeof login.key === 'string' &&
    login.key.trim() !== '' &&
    apis[provider] !== undefined &&
    VENDOR_KEYS[provider] !== undefined &&
    VENDOR_BASE_URL_ENV[provider] !== undefined
  );
}

/** The default instance: the host user's opencode login. */
export const opencodeHostContribution: ProviderHostContribution = createOpencodeHostContribution();

/** opencode's `auth.json` as an object, or undefined (missing, not a file, not a JSON object). */
function readAuthFile(file: string): Record<string, unknown> | undefined {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return undefined;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The session's copy of the host's login (0600), taken when the session has none or the host's is newer
 * (opencode refreshes OAuth tokens in the session's copy). With `routedApis` (an isolated sandbox), the plain
 * API keys the host routes are left out, also from an older session copy: the host adds them, the sandbox never
 * holds them.
 */
async function copyLogin(
  source: string,
  target: string,
  routedApis: Readonly<Record<string, VendorApi>> | undefined,
): Promise<void> {
  const sourceStat = await fs.stat(source).catch(() => undefined);
  const targetStat = await fs.stat(target).catch(() => undefined);
  const hostNewer = sourceStat?.isFile() && !(targetStat && targetStat.mtimeMs >= sourceStat.mtimeMs);
  if (!routedApis) {
    if (hostNewer) await writePrivate(target, await fs.readFile(source));
    return;
  }
  const from = hostNewer ? source : targetStat ? target : undefined;
  const logins = from ? readAuthFile(from) : undefined;
  if (!logins) return;
  const { routed, kept } = hostLogins(logins, routedApis);
  if (from === target && routed.length === 0) return;
  if (kept.length === 0) {
    await fs.rm(target, { force: true });
    return;
  }
  const keptLogins = Object.fromEntries(kept.map((provider) => [provider, logins[provider]]));
  await writePrivate(target, `${JSON.stringify(keptLogins, null, 2)}\n`);
}

async function writePrivate(file: string, content: string | Buffer): Promise<void> {
  await fs.writeFile(file, content, { mode: 0o600 });
  await fs.chmod(file, 0o600);
}
