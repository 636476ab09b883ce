import { describe, expect, it } from 'vitest';
import { configSchema } from '../config.js';
import { DEFAULT_PROVIDER_PROFILES } from './profiles.js';

describe('provider profiles', () => {
  it('every env key a provider accepts can be set in .env (it is in the config schema)', () => {
    const keys = new Set(Object.keys(configSchema.shape));
    for (const [id, profile] of Object.entries(DEFAULT_PROVIDER_PROFILES)) {
      expect(
        profile.envAllowlist.filter((key) => !keys.has(key)),
        `${id}'s allowlist`,
      ).toEqual([]);
    }
  });

  it('the real runtimes bring their own native binary', () => {
    for (const id of ['claude', 'codex', 'opencode']) {
      const binary = DEFAULT_PROVIDER_PROFILES[id]?.resolveBinary?.();
      expect(binary?.path, id).toMatch(/\/(claude|codex|opencode(\.exe)?)$/);
      expect(binary?.envKey, id).toMatch(/_BIN$/);
    }
  });
});
