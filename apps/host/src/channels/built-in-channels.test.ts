import { describe, expect, it } from 'vitest';
import { BUILT_IN_CHANNELS, loadConfiguredChannels } from './built-in-channels.js';

describe('built-in channels', () => {
  it('know each package factory’s name and required keys before loading it', async () => {
    for (const builtIn of BUILT_IN_CHANNELS) {
      const factory = await builtIn.load();
      expect(factory.channel).toBe(builtIn.channel);
      expect([...factory.requiredEnv].sort()).toEqual([...builtIn.requiredEnv].sort());
    }
  }, 60_000); // a cold import of four platform SDKs (discord.js, bolt, baileys, grammy): seconds on a loaded machine

  it('loads only the platforms an account is configured for (extra accounts count)', async () => {
    expect(await loadConfiguredChannels({})).toEqual([]);
    const loaded = await loadConfiguredChannels({ TELEGRAM_BOT_TOKEN__WORK: '1:x', DISCORD_BOT_TOKEN: 'd' });
    expect(loaded.map((factory) => factory.channel)).toEqual(['telegram', 'discord']);
  });
});
