import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type ProviderEgress,
  type ProviderEgressRoute,
  type ProviderHostContribution,
} from '@nanoclaw/core';
import { resolveCodexBinary } from './binary.js';
import {
  CODEX_CREDENTIAL_ENV_KEYS,
  CODEX_ENV_KEYS,
  CODEX_OPENAI_BASE_URL_ENV,
  isSubscriptionAuth,
  readJson,
  resolveAuthMode,
  writePrivate,
} from './config.js';

export interface CodexHostContributionOptions {
  /** The host user's home, where `~/.codex/auth.json` lives (default `os.homedir()`; `CODEX_HOME` wins). */
  hostHome?: string;
  /** Provider id (default `codex`). */
  id?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The host's Codex login file: `$CODEX_HOME/auth.json`, else `<home>/.codex/auth.json`. */
export function hostAuthPath(env: Env, hostHome: string = os.homedir()): string {
  const codexHome = env.CODEX_HOME?.trim() || path.join(hostHome, '.codex');
  return path.join(codexHome, 'auth.json');
}

/** OpenAI's API, as Codex's built-in provider reaches it. */
export const OPENAI_API_URL = 'https://api.openai.com/v1';
/** What a ChatGPT login reaches itself: the Codex backend and the token refresh. */
export const CHATGPT_LOGIN_HOSTS = ['chatgpt.com:443', 'auth.openai.com:443'] as const;

/**
 * The host side of the Codex provider: which env keys enter the sandbox, where its state lives
 * (`$HOME/.codex`, one per session), the auth copy and the model traffic (`egress`). `prepareHome` copies the
 * host's `auth.json` (a `codex login`) into the session's Codex home with mode 0600 — behind the egress proxy
 * only a ChatGPT login, whose tokens Codex refreshes itself; an API key stays on the host. It only ever reads
 * the host's Codex directory.
 */
export function createCodexHostContribution(
  options: CodexHostContributionOptions = {},
): ProviderHostContribution {
  const hostHome = () => options.hostHome ?? os.homedir();
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id: options.id ?? 'codex',
    envAllowlist: CODEX_ENV_KEYS,
    credentialEnvKeys: CODEX_CREDENTIAL_ENV_KEYS,
    homeDir: '.codex',
    // Codex's global instructions (`$CODEX_HOME/AGENTS.md`) and user skills (`$CODEX_HOME/skills/<name>/SKILL.md`,
    // beside the `.system` skills Codex installs there itself).
    agentContext: { memoryFile: 'AGENTS.md', skillsDir: 'skills' },
    /** `homePath` is the per-session Codex home (mounted at `$HOME/.codex` in the sandbox). */
    async prepareHome({ homePath, env, egress }) {
      await fs.mkdir(homePath, { recursive: true, mode: 0o700 });
      const source = hostAuthPath(env, hostHome());
      const target = path.join(homePath, 'auth.json');
      if (egress) {
        // An API key (copied by an earlier version, or a login from before) must not stay in the session home.
        if (!isSubscriptionAuth(await readJson(target))) await fs.rm(target, { force: true });
        if (!isSubscriptionAuth(await readJson(source))) return;
      }
      let sourceStat: { mtimeMs: number };
      try {
        sourceStat = await fs.stat(source);
      } catch {
        return; // no host login: modes B/C (or nothing) decide inside the sandbox
      }
      // Codex refreshes tokens in the session copy; only a newer host login (re-login) replaces it.
      const targetStat = await fs.stat(target).catch(() => undefined);
      if (targetStat && targetStat.mtimeMs >= sourceStat.mtimeMs) return;
      await writePrivate(target, await fs.readFile(source, 'utf8'));
    },
    /** The pinned native binary (its folder holds its helpers, e.g. `rg`), spawned inside via `CODEX_BIN`. */
    resolveBinary: () => ({ path: resolveCodexBinary(), envKey: 'CODEX_BIN' }),
    describeCredentials(env) {
      const model = env.CODEX_MODEL?.trim() ? `, model ${env.CODEX_MODEL.trim()}` : '';
      const authFile = hostAuthPath(env, hostHome());
      const auth = readHostAuth(authFile);
      if (auth !== undefined && isSubscriptionAuth(auth)) {
        const shadowed = [
          env.OPENAI_BASE_URL?.trim() ? 'OPENAI_BASE_URL' : '',
          env.OPENAI_API_KEY?.trim() ? 'OPENAI_API_KEY' : '',
        ].filter(Boolean);
        const note = shadowed.length > 0 ? `; it wins over ${shadowed.join(' and ')}` : '';
        return `ChatGPT subscription (${authFile})${note}${model}`;
      }
      const baseUrl = env.OPENAI_BASE_URL?.trim();
      if (baseUrl) {
        const key = env.OPENAI_API_KEY?.trim() ? 'with OPENAI_API_KEY' : 'without a key';
        return `OpenAI-compatible endpoint ${baseUrl} (${key})${model}`;
      }
      if (env.OPENAI_API_KEY?.trim()) return `OPENAI_API_KEY (API billing)${model}`;
      if (auth !== undefined) return `Codex API-key login (${authFile})${model}`;
      return null;
    },
    egress: (env) => codexEgress(env, hostAuthPath(env, hostHome())),
  };
}

/**
 * Codex's model traffic through the host, per auth mode (`resolveAuthMode`, the same decision the sandbox
 * makes):
 * - endpoint (`OPENAI_BASE_URL`): a route to it; the sandbox's `OPENAI_BASE_URL` points at the route, and the
 *   host adds `OPENAI_API_KEY` as a bearer token when it is set;
 * - API key (`OPENAI_API_KEY`, or the key of an API-key `codex login`): a route to OpenAI that Codex's built-in
 *   provider reaches through `CODEX_OPENAI_BASE_URL` (config `openai_base_url`); the sandbox's key is a
 *   placeholder;
 * - ChatGPT login: no route. Codex refreshes the login's tokens itself, so its `auth.json` is copied into the
 *   session (the named exception) and Codex reaches chatgpt.com and auth.openai.com with CONNECT.
 */
export function codexEgress(env: Env, authFile: string): ProviderEgress {
  const auth = readHostAuth(authFile);
  const route = (
    upstream: string,
    baseUrlEnv: string,
    key: ProviderEgressRoute['setHeaders'],
  ): ProviderEgressRoute => ({
    prefix: '/openai',
    upstream,
    allowPaths: ['/responses', '/chat/completions', '/models'],
    check: { path: '/models' },
    baseUrlEnv,
    ...(key ? { setHeaders: key, secretEnvKeys: ['OPENAI_API_KEY'] } : {}),
  });
  switch (resolveAuthMode(env, auth)) {
    case 'subscription':
      return {
        routes: [],
        connectHosts: CHATGPT_LOGIN_HOSTS,
        exceptions: [
          {
            credential: `the ChatGPT login (${authFile}, copied into the session's Codex home)`,
            reason: 'Codex refreshes its tokens itself and sends them to chatgpt.com',
          },
        ],
      };
    case 'endpoint': {
      const key = env.OPENAI_API_KEY?.trim()
        ? { authorization: { env: 'OPENAI_API_KEY', prefix: 'Bearer ' } }
        : undefined;
      return { routes: [route(env.OPENAI_BASE_URL?.trim() ?? '', 'OPENAI_BASE_URL', key)] };
    }
    case 'api-key': {
      const source = env.OPENAI_API_KEY?.trim()
        ? { env: 'OPENAI_API_KEY', prefix: 'Bearer ' }
        : { file: authFile, jsonKey: 'OPENAI_API_KEY', prefix: 'Bearer ' };
      return { routes: [route(OPENAI_API_URL, CODEX_OPENAI_BASE_URL_ENV, { authorization: source })] };
    }
    default:
      return { routes: [] };
  }
}

/** The default instance: the host user's `~/.codex/auth.json`. */
export const codexHostContribution: ProviderHostContribution = createCodexHostContribution();

function readHostAuth(file: string): unknown {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
