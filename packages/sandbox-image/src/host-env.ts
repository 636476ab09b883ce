/** The proxy settings downloads honour (apt and npm both read them from the environment). */
export const PROXY_ENV_KEYS: readonly string[] = [
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
];

/** The named keys of `env` that are set (a build's env is made from scratch, never `process.env` whole). */
export function pickEnv(
  env: Readonly<Record<string, string | undefined>>,
  keys: readonly string[],
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value) picked[key] = value;
  }
  return picked;
}
