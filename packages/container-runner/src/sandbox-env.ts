import { SandboxError } from './errors.js';
import { SANDBOX_PATHS } from './mounts.js';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Keys the runner needs; set by the host, not by container.json. */
export const RESERVED_SANDBOX_ENV_KEYS: readonly string[] = ['HOME'];

export interface BuildSandboxEnvOptions {
  /** Where allowlisted values come from (the host's env, or its parsed .env). Nothing else is read from it. */
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** The provider's `envAllowlist`: host keys passed in when set and non-empty. */
  envAllowlist: readonly string[];
  /** container.json's literal `env` (non-secret values); wins over allowlisted host values. */
  configEnv?: Readonly<Record<string, string>>;
  /** Runner essentials set by the host (e.g. protocol settings); win over everything but HOME. */
  runnerEnv?: Readonly<Record<string, string>>;
  /** HOME inside the sandbox (default `/home/agent`). */
  home?: string;
  /** Default `/usr/local/bin:/usr/bin:/bin`. */
  path?: string;
  /** Default `C.UTF-8`. */
  lang?: string;
  /** The group's time zone, e.g. `Europe/Berlin`; omitted when not given. */
  timezone?: string;
}

/**
 * The sandbox's complete environment, built from an explicit allowlist: the runner essentials (HOME, PATH,
 * LANG, TZ), the provider's allowlisted keys read from `hostEnv`, container.json's literal env, and
 * `runnerEnv`. Nothing else from the host reaches the sandbox.
 */
export function buildSandboxEnv(options: BuildSandboxEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    HOME: options.home ?? SANDBOX_PATHS.home,
    PATH: options.path ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: options.lang ?? 'C.UTF-8',
  };
  if (options.timezone) env.TZ = options.timezone;
  for (const key of options.envAllowlist) {
    checkKey(key, 'envAllowlist');
    const value = options.hostEnv[key];
    if (typeof value === 'string' && value !== '') env[key] = checkValue(key, value);
  }
  for (const [key, value] of Object.entries(options.configEnv ?? {})) {
    checkKey(key, 'container.json env');
    if (RESERVED_SANDBOX_ENV_KEYS.includes(key)) {
      throw new SandboxError('invalid-argument', `container.json env may not set ${key} (the host sets it)`);
    }
    env[key] = checkValue(key, value);
  }
  for (const [key, value] of Object.entries(options.runnerEnv ?? {})) {
    checkKey(key, 'runner env');
    if (RESERVED_SANDBOX_ENV_KEYS.includes(key)) continue;
    env[key] = checkValue(key, value);
  }
  return env;
}

function checkKey(key: string, where: string): void {
  if (!ENV_KEY.test(key))
    throw new SandboxError('invalid-argument', `${where}: "${key}" is not a valid env name`);
}

function checkValue(key: string, value: string): string {
  if (value.includes('\u0000')) throw new SandboxError('invalid-argument', `env ${key} contains a NUL byte`);
  return value;
}
