import path from 'node:path';
import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { WHATSAPP_CHANNEL } from './map-message.js';
import { createWhatsAppChannel, type WhatsAppChannelOptions } from './whatsapp-channel.js';

export const WHATSAPP_ENV = {
  enabled: 'WHATSAPP_ENABLED',
  authDir: 'WHATSAPP_AUTH_DIR',
  dataDir: 'NANOCLAW_DATA_DIR',
} as const;

const TRUE = /^(1|true|yes|on)$/i;

/** `<NANOCLAW_DATA_DIR or ./data>/whatsapp/<accountId>`, unless `WHATSAPP_AUTH_DIR` names a folder. */
export function whatsappAuthDir(
  env: Readonly<Record<string, string | undefined>>,
  accountId: string,
): string {
  const explicit = env[WHATSAPP_ENV.authDir]?.trim();
  if (explicit) return path.resolve(explicit);
  return path.resolve(env[WHATSAPP_ENV.dataDir]?.trim() || './data', 'whatsapp', accountId);
}

/**
 * A WhatsApp factory with extra adapter options. WhatsApp has no token: the account is opted in with
 * `WHATSAPP_ENABLED=1` (`WHATSAPP_ENABLED__WORK=1` for a second one) and pairs by QR code on first start.
 */
export function createWhatsAppChannelFactory(
  extra: Omit<WhatsAppChannelOptions, 'authDir' | 'accountId' | 'logger'> = {},
): ChannelFactory {
  return {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel: WHATSAPP_CHANNEL,
    requiredEnv: [WHATSAPP_ENV.enabled],
    create({ accountId, env, logger }) {
      const enabled = env[WHATSAPP_ENV.enabled]?.trim() ?? '';
      if (!TRUE.test(enabled)) return { skipped: `${WHATSAPP_ENV.enabled} is not 1/true` };
      return createWhatsAppChannel({ ...extra, accountId, logger, authDir: whatsappAuthDir(env, accountId) });
    },
  };
}

/** Register it with `registerChannel(whatsappChannel)` or `createChannelRegistry([whatsappChannel])`. */
export const whatsappChannel: ChannelFactory = createWhatsAppChannelFactory();
