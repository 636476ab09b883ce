import { CHANNEL_ADAPTER_SPEC_VERSION, type ChannelFactory } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { createChannelRegistry, defaultChannelRegistry, registerChannel } from './registry.js';
import { UnsupportedChannelVersionError } from './spec-version.js';

const factory = (channel: string): ChannelFactory => ({
  specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
  channel,
  requiredEnv: [],
  create: ({ accountId }) => ({
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel,
    accountId,
    limits: { maxTextLength: 10, attachments: false, typingIndicator: false },
    start: async () => {},
    stop: async () => {},
    send: async () => ({ platformMessageIds: [] }),
  }),
});

describe('channel registry', () => {
  it('registers factories by channel name, in order', () => {
    const a = factory('alpha');
    const b = factory('beta');
    const registry = createChannelRegistry([a]);
    registry.register(b);
    expect(registry.get('alpha')).toBe(a);
    expect(registry.get('gamma')).toBeUndefined();
    expect(registry.list()).toEqual([a, b]);
  });

  it('ignores the same factory twice but refuses another under a taken name', () => {
    const a = factory('alpha');
    const registry = createChannelRegistry([a, a]);
    expect(registry.list()).toHaveLength(1);
    expect(() => registry.register(factory('alpha'))).toThrow(/already registered/);
  });

  it('refuses a factory of an unsupported specification version, naming the channel and both versions', () => {
    const old = { ...factory('oldchat'), specificationVersion: 'v0' } as unknown as ChannelFactory;
    const registry = createChannelRegistry();
    expect(() => registry.register(old)).toThrow(
      'Unsupported channel factory version "v0" for channel "oldchat": this host only supports channels that ' +
        'implement specification version "v1".',
    );
    expect(() => registry.register(old)).toThrow(UnsupportedChannelVersionError);
    expect(registry.get('oldchat')).toBeUndefined();
  });

  it('refuses names that are not lowercase slugs', () => {
    expect(() => createChannelRegistry([factory('Tele Gram')])).toThrow(/lowercase/);
  });

  it('registerChannel fills the default registry unless given another', () => {
    const local = createChannelRegistry();
    const f = factory('registry-test-only');
    registerChannel(f, local);
    expect(local.get('registry-test-only')).toBe(f);
    expect(defaultChannelRegistry.get('registry-test-only')).toBeUndefined();
    registerChannel(f);
    expect(defaultChannelRegistry.get('registry-test-only')).toBe(f);
  });
});
