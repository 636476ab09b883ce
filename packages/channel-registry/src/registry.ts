import type { ChannelFactory } from '@nanoclaw/core';
import { assertSupportedChannelVersion } from './spec-version.js';

/** Channel factories by channel type (`telegram`, `whatsapp`, ...). */
export interface ChannelRegistry {
  /**
   * Adds a factory. Registering the same factory twice is a no-op; another factory under a taken name, or one of an
   * unsupported `specificationVersion` (`UnsupportedChannelVersionError`), throws.
   */
  register(factory: ChannelFactory): void;
  get(channel: string): ChannelFactory | undefined;
  /** Every registered factory, in registration order. */
  list(): ChannelFactory[];
}

export function createChannelRegistry(factories: Iterable<ChannelFactory> = []): ChannelRegistry {
  const byName = new Map<string, ChannelFactory>();
  const registry: ChannelRegistry = {
    register(factory) {
      const existing = byName.get(factory.channel);
      if (existing === factory) return;
      if (existing) throw new Error(`channel "${factory.channel}" is already registered`);
      assertSupportedChannelVersion(factory, 'factory');
      if (!/^[a-z][a-z0-9-]{0,63}$/.test(factory.channel)) {
        throw new Error(`channel name "${factory.channel}" must be lowercase letters, digits and dashes`);
      }
      byName.set(factory.channel, factory);
    },
    get: (channel) => byName.get(channel),
    list: () => [...byName.values()],
  };
  for (const factory of factories) registry.register(factory);
  return registry;
}

/** The process-wide registry `registerChannel` and `startChannels` use when none is given. */
export const defaultChannelRegistry: ChannelRegistry = createChannelRegistry();

/** Registers a channel factory (default: into `defaultChannelRegistry`). */
export function registerChannel(
  factory: ChannelFactory,
  registry: ChannelRegistry = defaultChannelRegistry,
): void {
  registry.register(factory);
}
