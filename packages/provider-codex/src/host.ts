import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AGENT_PROVIDER_SPEC_VERSION, type ProviderHostContribution } from '@nanoclaw/core';
import { resolveCodexBinary } from './binary.js';
import { CODEX_ENV_KEYS, isSubscriptionAuth, writePrivate } from './config.js';

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

/**
 * The host side of the Codex provider: which env keys enter the sandbox, where its state lives
 * (`$HOME/.codex`, one per session), and the auth copy. `prepareHome` copies the host's `auth.json` (a
 * `codex login`) into the session's Codex home with mode 0600; it only ever reads the host's Codex directory.
 */
export function createCodexHostContribution(
  options: CodexHostContributionOptions = {},
): ProviderHostContribution {
  const hostHome = () => options.hostHome ?? os.homedir();
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id: options.id ?? 'codex',
    envAllowlist: CODEX_ENV_KEYS,
    homeDir: '.codex',
    /** `homePath` is the per-session Codex home (mounted at `$HOME/.codex` in the sandbox). */
    async prepareHome({ homePath, env }) {
      await fs.mkdir(homePath, { recursive: true, mode: 0o700 });
      const source = hostAuthPath(env, hostHome());
      const target = path.join(homePath, 'auth.json');
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
  };
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
