import { discoverAccounts } from '@nanoclaw/channel-registry';
import type { ChannelFactory } from '@nanoclaw/core';

type Env = Readonly<Record<string, string | undefined>>;

/** A built-in chat platform, known by its credentials before its package is loaded. */
export interface BuiltInChannel {
  readonly channel: string;
  /** The same keys as the factory's `requiredEnv` (a test keeps them in step). */
  readonly requiredEnv: readonly string[];
  load(): Promise<ChannelFactory>;
}

/**
 * The chat platforms the host starts when their credentials are present (see each package's README). Their
 * libraries are large (discord.js, Bolt and Baileys add 50–70 MB each to the host's memory), so a package is
 * only loaded when some account of it is configured. A fork that wants others passes factories to
 * `createHost({ channels })`.
 */
export const BUILT_IN_CHANNELS: readonly BuiltInChannel[] = [
  {
    channel: 'telegram',
    requiredEnv: ['TELEGRAM_BOT_TOKEN'],
    load: async () => (await import('@nanoclaw/channel-telegram')).telegramChannel,
  },
  {
    channel: 'slack',
    requiredEnv: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'],
    load: async () => (await import('@nanoclaw/channel-slack')).slackChannel,
  },
  {
    channel: 'discord',
    requiredEnv: ['DISCORD_BOT_TOKEN'],
    load: async () => (await import('@nanoclaw/channel-discord')).discordChannel,
  },
  {
    channel: 'whatsapp',
    requiredEnv: ['WHATSAPP_ENABLED'],
    load: async () => (await import('@nanoclaw/channel-whatsapp')).whatsappChannel,
  },
  {
    channel: 'gmail',
    requiredEnv: ['GMAIL_CLIENT_ID', 'GMAIL_CLIENT_SECRET'],
    load: async () => (await import('@nanoclaw/channel-gmail')).gmailChannel,
  },
];

/** The factories of the built-in platforms that `env` configures an account for; only those are imported. */
export async function loadConfiguredChannels(
  env: Env,
  channels: readonly BuiltInChannel[] = BUILT_IN_CHANNELS,
): Promise<ChannelFactory[]> {
  const configured = channels.filter((channel) => discoverAccounts(channel, env).length > 0);
  return Promise.all(configured.map((channel) => channel.load()));
}
