import type { ChannelSupervisor } from '@nanoclaw/channel-registry';
import type { ChannelAdapter } from '@nanoclaw/core';
import { adapterKey } from '../groups/index.js';

/** What the outbox needs: the adapter of a `channel:account` key. */
export interface AdapterLookup {
  get(key: string): ChannelAdapter | undefined;
  has(key: string): boolean;
  /** Every adapter running now: the host's own first. */
  all(): ChannelAdapter[];
}

/**
 * The host's own adapters (the local channel) first, then those the channel supervisor started. The supervisor
 * is set once channels started; until then (and for a skipped account) the key is unknown and the outbox retries.
 */
export function createAdapterLookup(
  own: readonly ChannelAdapter[],
  supervisor: () => ChannelSupervisor | undefined,
): AdapterLookup {
  const ownByKey = new Map(own.map((adapter) => [adapterKey(adapter), adapter]));
  const find = (key: string): ChannelAdapter | undefined =>
    ownByKey.get(key) ??
    supervisor()
      ?.adapters()
      .find((adapter) => adapterKey(adapter) === key);
  return {
    get: find,
    has: (key) => find(key) !== undefined,
    all: () => [...own, ...(supervisor()?.adapters() ?? [])],
  };
}
