import {
  CHANNEL_ADAPTER_SPEC_VERSION,
  type ChannelAdapter,
  type ChannelFactory,
  type ChannelHost,
  type Logger,
} from '@nanoclaw/core';
import { type LogLine, memoryLogger } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { Timers } from './backoff.js';
import { createChannelRegistry } from './registry.js';
import { type StartChannelsOptions, startChannels } from './start-channels.js';

/** A logger recording into its own `lines`. */
function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return Object.assign(memoryLogger(lines), { lines });
}

function fakeClock() {
  let now = 0;
  let nextId = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout(fn, ms) {
      nextId += 1;
      pending.set(nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  const flush = async () => {
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
  };
  return {
    timers,
    now: () => new Date(now),
    pendingDelays: () => [...pending.values()].map((t) => t.at - now),
    async advance(ms: number) {
      const target = now + ms;
      for (;;) {
        await flush();
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = target;
      await flush();
    },
  };
}

type StartPlan = Array<'ok' | Error | 'hang'>;

interface FakeAdapter extends ChannelAdapter {
  starts: number;
  stops: number;
  env: Readonly<Record<string, string | undefined>>;
  connected: boolean;
}

function fakeFactory(channel: string, requiredEnv: string[], plans: Record<string, StartPlan> = {}) {
  const made: FakeAdapter[] = [];
  const factory: ChannelFactory = {
    specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
    channel,
    requiredEnv,
    create({ accountId, env }) {
      const plan = [...(plans[accountId] ?? [])];
      const adapter: FakeAdapter = {
        specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
        channel,
        accountId,
        env,
        starts: 0,
        stops: 0,
        connected: false,
        limits: { maxTextLength: 100, attachments: false, typingIndicator: false },
        async start() {
          adapter.starts += 1;
          const step = plan.shift() ?? 'ok';
          if (step === 'hang') return new Promise<void>(() => {});
          if (step instanceof Error) throw step;
          adapter.connected = true;
        },
        async stop() {
          adapter.stops += 1;
          adapter.connected = false;
        },
        send: async () => ({ platformMessageIds: [] }),
      };
      made.push(adapter);
      return adapter;
    },
  };
  return { factory, made };
}

const host: ChannelHost = {
  receive: async () => ({ duplicate: false }),
  receiveAction: async () => ({ accepted: false, text: 'no cards here' }),
  logger: recordingLogger(),
};

function options(
  factories: ChannelFactory[],
  env: Record<string, string>,
  extra: Partial<StartChannelsOptions> = {},
) {
  const clock = fakeClock();
  const logger = recordingLogger();
  const opts: StartChannelsOptions = {
    env,
    host,
    logger,
    registry: createChannelRegistry(factories),
    timers: clock.timers,
    now: clock.now,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 8000, jitter: 0 },
    ...extra,
  };
  return { clock, logger, opts };
}

describe('startChannels', () => {
  it('starts channels with credentials and skips the others with a log line', async () => {
    const telegram = fakeFactory('telegram', ['TELEGRAM_BOT_TOKEN']);
    const slack = fakeFactory('slack', ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']);
    const { opts, logger } = options([telegram.factory, slack.factory], { TELEGRAM_BOT_TOKEN: 't' });
    const supervisor = await startChannels(opts);
    expect(supervisor.status()).toEqual([
      expect.objectContaining({ channel: 'telegram', accountId: 'default', state: 'connected', attempts: 0 }),
      {
        channel: 'slack',
        accountId: 'default',
        state: 'skipped',
        attempts: 0,
        reason: 'no credentials (set SLACK_BOT_TOKEN, SLACK_APP_TOKEN)',
      },
    ]);
    expect(supervisor.get('telegram')).toBe(telegram.made[0]);
    expect(supervisor.get('slack')).toBeUndefined();
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'channel skipped',
        bindings: expect.objectContaining({ channel: 'slack' }),
      }),
    );
  });

  it('starts one adapter per account: KEY and KEY__WORK', async () => {
    const telegram = fakeFactory('telegram', ['TELEGRAM_BOT_TOKEN']);
    const { opts } = options([telegram.factory], {
      TELEGRAM_BOT_TOKEN: 'main',
      TELEGRAM_BOT_TOKEN__WORK: 'work',
    });
    const supervisor = await startChannels(opts);
    expect(telegram.made.map((a) => [a.accountId, a.env.TELEGRAM_BOT_TOKEN])).toEqual([
      ['default', 'main'],
      ['work', 'work'],
    ]);
    expect(supervisor.get('telegram', 'work')?.accountId).toBe('work');
    expect(supervisor.adapters()).toHaveLength(2);
  });

  it('skips an account whose other required keys are missing', async () => {
    const slack = fakeFactory('slack', ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']);
    const { opts } = options([slack.factory], {
      SLACK_BOT_TOKEN: 'x',
      SLACK_APP_TOKEN: 'y',
      SLACK_BOT_TOKEN__OPS: 'z',
    });
    const supervisor = await startChannels(opts);
    expect(supervisor.status().map((s) => [s.accountId, s.state, s.reason])).toEqual([
      ['default', 'connected', undefined],
      ['ops', 'skipped', 'missing SLACK_APP_TOKEN__OPS'],
    ]);
  });

  it('retries a failing start with exponential backoff while the others run', async () => {
    const good = fakeFactory('good', ['GOOD']);
    const flaky = fakeFactory('flaky', ['FLAKY'], {
      default: [new Error('boom 1'), new Error('boom 2'), 'ok'],
    });
    const { opts, clock } = options([good.factory, flaky.factory], { GOOD: '1', FLAKY: '1' });
    const supervisor = await startChannels(opts);
    expect(supervisor.status()[0]?.state).toBe('connected');
    expect(supervisor.status()[1]).toMatchObject({
      state: 'retrying',
      attempts: 1,
      lastError: 'boom 1',
      nextRetryAt: new Date(1000).toISOString(),
    });
    expect(flaky.made[0]?.stops).toBe(1);
    await clock.advance(999);
    expect(flaky.made[0]?.starts).toBe(1);
    await clock.advance(1);
    expect(flaky.made[0]?.starts).toBe(2);
    expect(supervisor.status()[1]).toMatchObject({ state: 'retrying', attempts: 2, lastError: 'boom 2' });
    expect(clock.pendingDelays()).toEqual([2000]);
    await clock.advance(2000);
    expect(supervisor.status()[1]).toMatchObject({ state: 'connected', attempts: 0, lastError: 'boom 2' });
    expect(flaky.made[0]?.connected).toBe(true);
  });

  it('adds jitter from the injected random source', async () => {
    const flaky = fakeFactory('flaky', ['FLAKY'], { default: [new Error('x')] });
    const { opts, clock } = options(
      [flaky.factory],
      { FLAKY: '1' },
      { backoff: { baseMs: 1000, jitter: 0.5 }, random: () => 0 },
    );
    await startChannels(opts);
    expect(clock.pendingDelays()).toEqual([500]);
  });

  it('fails for good on a permanent error or after maxAttempts', async () => {
    const permanent = Object.assign(new Error('bad token'), { permanent: true });
    const bad = fakeFactory('bad', ['BAD'], { default: [permanent] });
    const flaky = fakeFactory('flaky', ['FLAKY'], {
      default: [new Error('a'), new Error('b'), new Error('c')],
    });
    const { opts, clock } = options(
      [bad.factory, flaky.factory],
      { BAD: '1', FLAKY: '1' },
      { maxAttempts: 2 },
    );
    const supervisor = await startChannels(opts);
    expect(supervisor.status()[0]).toMatchObject({ state: 'failed', reason: 'bad token', attempts: 1 });
    await clock.advance(60_000);
    expect(supervisor.status()[1]).toMatchObject({ state: 'failed', reason: 'b', attempts: 2 });
    expect(bad.made[0]?.starts).toBe(1);
    expect(flaky.made[0]?.starts).toBe(2);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('counts a start that never settles as a failure', async () => {
    const slow = fakeFactory('slow', ['SLOW'], { default: ['hang'] });
    const { opts, clock } = options([slow.factory], { SLOW: '1' }, { startTimeoutMs: 5000 });
    const started = startChannels(opts);
    await clock.advance(5000);
    const supervisor = await started;
    expect(supervisor.status()[0]).toMatchObject({
      state: 'retrying',
      lastError: 'start did not finish within 5000 ms',
    });
    await clock.advance(1000);
    expect(supervisor.status()[0]?.state).toBe('connected');
  });

  it('reports a factory that throws as failed and one that declines as skipped', async () => {
    const throwing: ChannelFactory = {
      specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
      channel: 'throwing',
      requiredEnv: [],
      create: () => {
        throw new Error('bad config');
      },
    };
    const declining: ChannelFactory = {
      specificationVersion: CHANNEL_ADAPTER_SPEC_VERSION,
      channel: 'declining',
      requiredEnv: [],
      create: () => ({ skipped: 'not today' }),
    };
    const { opts } = options([throwing, declining], {});
    const supervisor = await startChannels({
      ...opts,
      accounts: [
        { channel: 'throwing', accountId: 'default' },
        { channel: 'declining', accountId: 'default' },
        { channel: 'nope', accountId: 'default' },
      ],
    });
    expect(supervisor.status().map((s) => [s.channel, s.state, s.reason])).toEqual([
      ['throwing', 'failed', 'bad config'],
      ['declining', 'skipped', 'not today'],
      ['nope', 'failed', 'unknown channel "nope" (not registered)'],
    ]);
  });

  it('refuses an adapter of an unsupported specification version, naming the channel and both versions', async () => {
    const old = fakeFactory('oldchat', []);
    const factory: ChannelFactory = {
      ...old.factory,
      create: (options) => {
        const adapter = old.factory.create(options) as ChannelAdapter;
        return { ...adapter, specificationVersion: 'v0' } as unknown as ChannelAdapter;
      },
    };
    const { opts } = options([factory], {});
    const supervisor = await startChannels({
      ...opts,
      accounts: [{ channel: 'oldchat', accountId: 'default' }],
    });
    expect(supervisor.status().map((s) => [s.state, s.reason])).toEqual([
      [
        'failed',
        'Unsupported channel adapter version "v0" for channel "oldchat": this host only supports channels that ' +
          'implement specification version "v1".',
      ],
    ]);
    expect(supervisor.adapters()).toEqual([]);
  });

  it('starts exactly the listed accounts, with their own env', async () => {
    const telegram = fakeFactory('telegram', ['TELEGRAM_BOT_TOKEN']);
    const { opts } = options([telegram.factory], {
      TELEGRAM_BOT_TOKEN: 'main',
      TELEGRAM_BOT_TOKEN__WORK: 'w',
    });
    const supervisor = await startChannels({
      ...opts,
      accounts: [
        { channel: 'telegram', accountId: 'work' },
        { channel: 'telegram', accountId: 'extra', env: { TELEGRAM_BOT_TOKEN: 'explicit' } },
      ],
    });
    expect(telegram.made.map((a) => [a.accountId, a.env.TELEGRAM_BOT_TOKEN])).toEqual([
      ['work', 'w'],
      ['extra', 'explicit'],
    ]);
    expect(supervisor.status().every((s) => s.state === 'connected')).toBe(true);
  });

  it('stopAll stops connected adapters and cancels pending retries', async () => {
    const good = fakeFactory('good', ['GOOD']);
    const flaky = fakeFactory('flaky', ['FLAKY'], { default: [new Error('down')] });
    const { opts, clock } = options([good.factory, flaky.factory], { GOOD: '1', FLAKY: '1' });
    const supervisor = await startChannels(opts);
    await supervisor.stopAll();
    expect(good.made[0]?.stops).toBe(1);
    expect(supervisor.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    await clock.advance(60_000);
    expect(flaky.made[0]?.starts).toBe(1);
  });

  it('shows an adapter that reports itself disconnected as retrying', async () => {
    const telegram = fakeFactory('telegram', ['TELEGRAM_BOT_TOKEN']);
    const { opts } = options([telegram.factory], { TELEGRAM_BOT_TOKEN: 't' });
    const supervisor = await startChannels(opts);
    Object.assign(telegram.made[0] as object, {
      health: () => ({ connected: false, lastError: 'ECONNRESET' }),
    });
    expect(supervisor.status()[0]).toMatchObject({ state: 'retrying', lastError: 'ECONNRESET' });
  });
});
