import type { ChannelFactory } from '@nanoclaw/core';

export const DEFAULT_ACCOUNT_ID = 'default';

type Env = Readonly<Record<string, string | undefined>>;

/** Separates a key from its account: `TELEGRAM_BOT_TOKEN__WORK` is `TELEGRAM_BOT_TOKEN` of account `work`. */
export const ACCOUNT_SEPARATOR = '__';

const ACCOUNT_SUFFIX = /^[A-Z0-9][A-Z0-9_]{0,63}$/;

/** `WORK` → `work`; the account id an env suffix names. */
export function accountIdFromSuffix(suffix: string): string {
  return suffix.toLowerCase();
}

/** `work` → `WORK`; the env suffix of an account id. */
export function accountSuffix(accountId: string): string {
  return accountId.toUpperCase();
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The accounts the env names for a factory: `default` when any required key is set plainly, plus one account per
 * suffix any required key carries (`TELEGRAM_BOT_TOKEN__WORK` → `work`). Sorted, `default` first.
 */
export function discoverAccounts(factory: Pick<ChannelFactory, 'requiredEnv'>, env: Env): string[] {
  const accounts = new Set<string>();
  for (const key of factory.requiredEnv) {
    if (present(env[key])) accounts.add(DEFAULT_ACCOUNT_ID);
    const prefix = `${key}${ACCOUNT_SEPARATOR}`;
    for (const [name, value] of Object.entries(env)) {
      if (!name.startsWith(prefix) || !present(value)) continue;
      const suffix = name.slice(prefix.length);
      if (ACCOUNT_SUFFIX.test(suffix)) accounts.add(accountIdFromSuffix(suffix));
    }
  }
  return [...accounts].sort((a, b) =>
    a === DEFAULT_ACCOUNT_ID ? -1 : b === DEFAULT_ACCOUNT_ID ? 1 : a.localeCompare(b),
  );
}

/**
 * The env as one account sees it: for account `work`, every `KEY__WORK` becomes `KEY` (overriding a plain `KEY`),
 * so factories read plain keys only. Required keys never fall back to the plain value for a named account (two
 * bots must not share one token); other keys (`TELEGRAM_API_ROOT`, ...) do.
 */
export function envForAccount(
  factory: Pick<ChannelFactory, 'requiredEnv'>,
  env: Env,
  accountId: string,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  if (accountId === DEFAULT_ACCOUNT_ID) return out;
  for (const key of factory.requiredEnv) delete out[key];
  const suffix = `${ACCOUNT_SEPARATOR}${accountSuffix(accountId)}`;
  for (const [name, value] of Object.entries(env)) {
    if (name.endsWith(suffix) && name.length > suffix.length) out[name.slice(0, -suffix.length)] = value;
  }
  return out;
}

/** The required keys an account's env lacks (as the user would have to set them). */
export function missingEnv(
  factory: Pick<ChannelFactory, 'requiredEnv'>,
  accountEnv: Env,
  accountId: string,
): string[] {
  return factory.requiredEnv
    .filter((key) => !present(accountEnv[key]))
    .map((key) =>
      accountId === DEFAULT_ACCOUNT_ID ? key : `${key}${ACCOUNT_SEPARATOR}${accountSuffix(accountId)}`,
    );
}
