import { envForAccount, missingEnv } from '@nanoclaw/channel-registry';
import type { ChannelFactory } from '@nanoclaw/core';
import { LOCAL_CHANNEL } from '../local-channel/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What binding a chat of a channel account would meet on this host. */
export type ChannelCredentials =
  | { kind: 'configured' }
  /** A channel this host knows, without the keys (as the user writes them in `.env`) this account needs. */
  | { kind: 'missing'; keys: string[] }
  /** No channel of this name: a chat bound to it could never be answered. */
  | { kind: 'unknown'; known: string[] };

export type ChannelCredentialCheck = (chat: { channel: string; accountId: string }) => ChannelCredentials;

/**
 * Whether the host has what a channel account needs (its factory's required env keys, `KEY__ACCOUNT` for a named
 * account), so that binding a chat to a channel that cannot start is not accepted silently.
 */
export function createChannelCredentialCheck(
  channels: readonly Pick<ChannelFactory, 'channel' | 'requiredEnv'>[],
  env: Env,
): ChannelCredentialCheck {
  return ({ channel, accountId }) => {
    if (channel === LOCAL_CHANNEL) return { kind: 'configured' };
    const factory = channels.find((candidate) => candidate.channel === channel);
    if (!factory) return { kind: 'unknown', known: [LOCAL_CHANNEL, ...channels.map((c) => c.channel)] };
    const keys = missingEnv(factory, envForAccount(factory, env, accountId), accountId);
    return keys.length === 0 ? { kind: 'configured' } : { kind: 'missing', keys };
  };
}

/** The warning for a chat bound to a channel without credentials: what to set, and that the binding is kept. */
export function missingCredentialsWarning(
  chat: { channel: string; accountId: string; chatId: string },
  keys: readonly string[],
): string {
  const account = chat.accountId === 'default' ? chat.channel : `${chat.channel} account "${chat.accountId}"`;
  const set = keys.map((key) => (key.startsWith('WHATSAPP_ENABLED') ? `${key}=1` : key)).join(' and ');
  return `${account} has no credentials configured on this host: set ${set} in .env and restart the host. The chat ${chat.chatId} is bound, but gets no answers until then.`;
}
