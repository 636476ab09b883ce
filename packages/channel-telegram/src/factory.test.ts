import { createChannelRegistry, startChannels } from '@nanoclaw/channel-registry';
import { createContractHost, silentLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { telegramChannel } from './factory.js';
import { createFakeTelegramServer } from './fake-telegram-server.js';

const logger = silentLogger();

describe('telegramChannel factory', () => {
  it('requires TELEGRAM_BOT_TOKEN and skips without it', () => {
    expect(telegramChannel.channel).toBe('telegram');
    expect(telegramChannel.requiredEnv).toEqual(['TELEGRAM_BOT_TOKEN']);
    expect(telegramChannel.create({ accountId: 'default', env: {}, logger })).toEqual({
      skipped: 'TELEGRAM_BOT_TOKEN is not set',
    });
  });

  it('refuses a token that is not shaped like one', () => {
    expect(() =>
      telegramChannel.create({ accountId: 'default', env: { TELEGRAM_BOT_TOKEN: 'oops' }, logger }),
    ).toThrow(/BotFather/);
  });

  it('runs two accounts from TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_TOKEN__WORK through startChannels', async () => {
    const main = await createFakeTelegramServer({ token: '111:main', botUsername: 'main_bot' });
    const work = await createFakeTelegramServer({ token: '222:work', botUsername: 'work_bot' });
    const host = createContractHost();
    const channels = await startChannels({
      env: {
        TELEGRAM_BOT_TOKEN: main.token,
        TELEGRAM_API_ROOT: main.url,
        TELEGRAM_BOT_TOKEN__WORK: work.token,
        TELEGRAM_API_ROOT__WORK: work.url,
      },
      host,
      logger,
      registry: createChannelRegistry([telegramChannel]),
    });
    try {
      expect(channels.status().map((s) => [s.accountId, s.state])).toEqual([
        ['default', 'connected'],
        ['work', 'connected'],
      ]);
      main.injectMessage({ chatId: 1, text: 'to main' });
      work.injectMessage({ chatId: 1, text: 'to work' });
      for (let i = 0; i < 200 && host.stored.length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(host.stored.map((m) => [m.accountId, m.text]).sort()).toEqual([
        ['default', 'to main'],
        ['work', 'to work'],
      ]);
    } finally {
      await channels.stopAll();
      await main.close();
      await work.close();
    }
  });

  it('reports a wrong token as failed, not retried', async () => {
    const server = await createFakeTelegramServer();
    const channels = await startChannels({
      env: { TELEGRAM_BOT_TOKEN: '9:wrong', TELEGRAM_API_ROOT: server.url },
      host: createContractHost(),
      logger,
      registry: createChannelRegistry([telegramChannel]),
    });
    expect(channels.status()[0]).toMatchObject({ state: 'failed', attempts: 1 });
    expect(channels.status()[0]?.reason).toContain('401');
    await channels.stopAll();
    await server.close();
  });
});
