import path from 'node:path';
import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { z } from 'zod';
import { accountDir } from './account-store.js';
import {
  createGmailChannel,
  GMAIL_DEFAULT_MAX_ATTACHMENT_MB,
  type GmailChannelOptions,
} from './gmail-channel.js';
import { GMAIL_CHANNEL } from './inbound.js';

export const GMAIL_ENV = {
  clientId: 'GMAIL_CLIENT_ID',
  clientSecret: 'GMAIL_CLIENT_SECRET',
  maxAttachmentMb: 'GMAIL_MAX_ATTACHMENT_MB',
  pollSeconds: 'GMAIL_POLL_SECONDS',
  apiRoot: 'GMAIL_API_ROOT',
  tokenUrl: 'GMAIL_TOKEN_URL',
  authUrl: 'GMAIL_AUTH_URL',
  dataDir: 'NANOCLAW_DATA_DIR',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const settingsSchema = z.object({
  [GMAIL_ENV.maxAttachmentMb]: z.coerce.number().positive().max(25).default(GMAIL_DEFAULT_MAX_ATTACHMENT_MB),
  [GMAIL_ENV.pollSeconds]: z.coerce.number().min(1).max(3600).default(30),
  [GMAIL_ENV.apiRoot]: z.url().optional(),
  [GMAIL_ENV.tokenUrl]: z.url().optional(),
  [GMAIL_ENV.authUrl]: z.url().optional(),
});

/** The Gmail settings of `env` beyond the credentials, validated (a bad value names its key). */
export function gmailSettings(env: Env) {
  const blankless = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((key) => [key, env[key]?.trim() || undefined]),
  );
  const parsed = settingsSchema.safeParse(blankless);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i: { path: PropertyKey[]; message: string }) => `${String(i.path[0])}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid Gmail settings: ${issues}`);
  }
  return {
    maxAttachmentMb: parsed.data[GMAIL_ENV.maxAttachmentMb],
    pollIntervalMs: parsed.data[GMAIL_ENV.pollSeconds] * 1000,
    apiRoot: parsed.data[GMAIL_ENV.apiRoot],
    tokenUrl: parsed.data[GMAIL_ENV.tokenUrl],
    authUrl: parsed.data[GMAIL_ENV.authUrl],
  };
}

/** `<NANOCLAW_DATA_DIR or ./data>/gmail/<accountId>`: where the refresh token and read state live. */
export function gmailAccountDir(env: Env, accountId: string): string {
  return accountDir(path.resolve(env[GMAIL_ENV.dataDir]?.trim() || './data'), accountId);
}

/**
 * A Gmail factory with extra adapter options. The account needs `GMAIL_CLIENT_ID` and `GMAIL_CLIENT_SECRET` (an
 * OAuth client of type "Desktop app") and a sign-in stored by `nanoclaw channels login gmail`.
 */
export function createGmailChannelFactory(
  extra: Pick<GmailChannelOptions, 'backoff' | 'timers' | 'random' | 'pollIntervalMs'> = {},
): ChannelFactory {
  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: GMAIL_CHANNEL,
    requiredEnv: [GMAIL_ENV.clientId, GMAIL_ENV.clientSecret],
    create({ accountId, env, logger }) {
      const clientId = env[GMAIL_ENV.clientId]?.trim();
      const clientSecret = env[GMAIL_ENV.clientSecret]?.trim();
      if (!clientId || !clientSecret)
        return { skipped: `${GMAIL_ENV.clientId} or ${GMAIL_ENV.clientSecret} is not set` };
      const { apiRoot, tokenUrl, maxAttachmentMb, pollIntervalMs } = gmailSettings(env);
      return createGmailChannel({
        pollIntervalMs,
        ...extra,
        clientId,
        clientSecret,
        accountId,
        logger,
        maxAttachmentMb,
        accountDir: gmailAccountDir(env, accountId),
        ...(apiRoot ? { apiRoot } : {}),
        ...(tokenUrl ? { tokenUrl } : {}),
      });
    },
  };
}

/** Register it with `registerChannel(gmailChannel)` or `createChannelRegistry([gmailChannel])`. */
export const gmailChannel: ChannelFactory = createGmailChannelFactory();
