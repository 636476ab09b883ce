import {
  type ChannelAdapter,
  type ChannelFactory,
  type ChannelHost,
  errorMessage,
  type Logger,
} from '@nanoclaw/core';
import { DEFAULT_ACCOUNT_ID, discoverAccounts, envForAccount, missingEnv } from './accounts.js';
import { type BackoffOptions, backoffDelay, realTimers, type Timers } from './backoff.js';
import { channelErrorInfo } from './channel-error.js';
import { type ChannelRegistry, defaultChannelRegistry } from './registry.js';
import { assertSupportedChannelVersion } from './spec-version.js';

type Env = Readonly<Record<string, string | undefined>>;

export type ChannelState = 'starting' | 'connected' | 'retrying' | 'skipped' | 'failed' | 'stopped';

/** One adapter's state, as `nanoclaw doctor` shows it. */
export interface ChannelStatus {
  channel: string;
  accountId: string;
  state: ChannelState;
  /** Why it was skipped (missing credentials) or failed for good. */
  reason?: string;
  /** The last start or connection error. */
  lastError?: string;
  /** Failed start attempts since the last success. */
  attempts: number;
  /** ISO time of the next start attempt while `retrying`. */
  nextRetryAt?: string;
  /** ISO time the adapter last connected. */
  connectedAt?: string;
}

/**
 * Optional: an adapter that reconnects by itself (long poll, websocket) reports its link here, so `status()` shows
 * `retrying` while it is down. Adapters without it are `connected` from a successful `start` until `stop`.
 */
export interface ChannelHealth {
  connected: boolean;
  lastError?: string;
}
export interface ReportsChannelHealth {
  health(): ChannelHealth;
}

/** One account to start when the accounts are listed explicitly. */
export interface ChannelAccountConfig {
  channel: string;
  accountId: string;
  /** The env this account's factory reads; default: the env projected for it (`KEY__ACCOUNT` → `KEY`). */
  env?: Env;
}

export interface StartChannelsOptions {
  env: Env;
  host: ChannelHost;
  logger: Logger;
  /** Default `defaultChannelRegistry`. */
  registry?: ChannelRegistry;
  /** Start exactly these accounts; default: every account the env has credentials for, of every registered channel. */
  accounts?: readonly ChannelAccountConfig[];
  backoff?: BackoffOptions;
  /** Give up after this many failed starts in a row (default: never). */
  maxAttempts?: number;
  /** A `start()` that has not settled by then counts as failed (default 30 s). */
  startTimeoutMs?: number;
  timers?: Timers;
  random?: () => number;
  now?: () => Date;
}

export interface ChannelSupervisor {
  /** One entry per account, skipped ones included. */
  status(): ChannelStatus[];
  /** The adapter of an account (created, whatever its state), for sending. */
  get(channel: string, accountId?: string): ChannelAdapter | undefined;
  adapters(): ChannelAdapter[];
  /** Cancels pending retries and stops every adapter; errors are logged, never thrown. */
  stopAll(): Promise<void>;
}

interface Entry {
  status: ChannelStatus;
  adapter?: ChannelAdapter;
  timer?: unknown;
  running?: Promise<void>;
}

/**
 * Creates and starts every channel account that has credentials. Missing credentials skip the account with a log
 * line; a failing `start` is retried with exponential backoff and jitter without holding up the others. Resolves
 * once every account's first attempt settled; retries go on in the background until `stopAll()`.
 */
export async function startChannels(options: StartChannelsOptions): Promise<ChannelSupervisor> {
  const registry = options.registry ?? defaultChannelRegistry;
  const timers = options.timers ?? realTimers;
  const now = options.now ?? (() => new Date());
  const entries = planAccounts(options, registry).map((plan) => createEntry(plan, options));
  let stopping = false;

  const attempt = async (entry: Entry): Promise<void> => {
    const adapter = entry.adapter;
    if (!adapter || stopping) return;
    const { status } = entry;
    const log = options.logger.child({ channel: status.channel, accountId: status.accountId });
    status.state = status.attempts === 0 ? 'starting' : 'retrying';
    status.nextRetryAt = undefined;
    try {
      await withTimeout(
        adapter.start(scopedHost(options.host, log)),
        options.startTimeoutMs ?? 30_000,
        timers,
      );
      if (stopping) return;
      Object.assign(status, { state: 'connected', attempts: 0, connectedAt: now().toISOString() });
      log.info('channel connected');
    } catch (error) {
      status.lastError = errorMessage(error);
      await adapter.stop().catch(() => {});
      if (stopping) return;
      status.attempts += 1;
      if (channelErrorInfo(error).permanent || status.attempts >= (options.maxAttempts ?? Infinity)) {
        Object.assign(status, { state: 'failed', reason: status.lastError });
        log.error({ err: status.lastError, attempts: status.attempts }, 'channel failed; not retrying');
        return;
      }
      const delay = backoffDelay(status.attempts - 1, options.backoff, options.random);
      Object.assign(status, {
        state: 'retrying',
        nextRetryAt: new Date(now().getTime() + delay).toISOString(),
      });
      log.warn(
        { err: status.lastError, attempts: status.attempts, delayMs: delay },
        'channel start failed; retrying',
      );
      entry.timer = timers.setTimeout(() => {
        entry.timer = undefined;
        entry.running = attempt(entry);
      }, delay);
    }
  };

  for (const entry of entries) entry.running = attempt(entry);
  await Promise.all(entries.map((entry) => entry.running));

  return {
    status: () => entries.map((entry) => liveStatus(entry)),
    get: (channel, accountId = DEFAULT_ACCOUNT_ID) =>
      entries.find((e) => e.status.channel === channel && e.status.accountId === accountId)?.adapter,
    adapters: () => entries.flatMap((entry) => (entry.adapter ? [entry.adapter] : [])),
    async stopAll() {
      stopping = true;
      await Promise.all(entries.map((entry) => stopEntry(entry, options.logger, timers)));
    },
  };
}

interface AccountPlan {
  channel: string;
  accountId: string;
  factory?: ChannelFactory;
  env: Env;
  /** Set when the account cannot start: why. */
  skipped?: string;
}

function planAccounts(options: StartChannelsOptions, registry: ChannelRegistry): AccountPlan[] {
  if (options.accounts) {
    return options.accounts.map((account) => {
      const factory = registry.get(account.channel);
      const env = account.env ?? (factory ? envForAccount(factory, options.env, account.accountId) : {});
      return { ...account, factory, env };
    });
  }
  return registry.list().flatMap((factory) => {
    const accounts = discoverAccounts(factory, options.env);
    if (accounts.length === 0) {
      const skipped = `no credentials (set ${factory.requiredEnv.join(', ')})`;
      return [{ channel: factory.channel, accountId: DEFAULT_ACCOUNT_ID, factory, env: {}, skipped }];
    }
    return accounts.map((accountId) => ({
      channel: factory.channel,
      accountId,
      factory,
      env: envForAccount(factory, options.env, accountId),
    }));
  });
}

function createEntry(plan: AccountPlan, options: StartChannelsOptions): Entry {
  const status: ChannelStatus = {
    channel: plan.channel,
    accountId: plan.accountId,
    state: 'starting',
    attempts: 0,
  };
  const log = options.logger.child({ channel: plan.channel, accountId: plan.accountId });
  const skip = (reason: string): Entry => {
    Object.assign(status, { state: 'skipped', reason });
    log.info({ reason }, 'channel skipped');
    return { status };
  };
  const fail = (reason: string): Entry => {
    Object.assign(status, { state: 'failed', reason, lastError: reason });
    log.error({ reason }, 'channel failed');
    return { status };
  };
  const { factory } = plan;
  if (!factory) return fail(`unknown channel "${plan.channel}" (not registered)`);
  if (plan.skipped) return skip(plan.skipped);
  const missing = missingEnv(factory, plan.env, plan.accountId);
  if (missing.length > 0) return skip(`missing ${missing.join(', ')}`);
  try {
    const created = factory.create({ accountId: plan.accountId, env: plan.env, logger: log });
    if ('skipped' in created) return skip(created.skipped);
    assertSupportedChannelVersion(created, 'adapter');
    return { status, adapter: created };
  } catch (error) {
    return fail(errorMessage(error));
  }
}

async function stopEntry(entry: Entry, logger: Logger, timers: Timers): Promise<void> {
  if (entry.timer !== undefined) timers.clearTimeout(entry.timer);
  entry.timer = undefined;
  await entry.running;
  const { status, adapter } = entry;
  if (!adapter || status.state === 'skipped' || status.state === 'failed') return;
  try {
    await adapter.stop();
  } catch (error) {
    logger.warn(
      { channel: status.channel, accountId: status.accountId, err: errorMessage(error) },
      'channel stop failed',
    );
  }
  Object.assign(status, { state: 'stopped', nextRetryAt: undefined });
}

function liveStatus(entry: Entry): ChannelStatus {
  const status = { ...entry.status };
  const health = (entry.adapter as Partial<ReportsChannelHealth> | undefined)?.health?.();
  if (status.state === 'connected' && health && !health.connected) {
    status.state = 'retrying';
    if (health.lastError) status.lastError = health.lastError;
  }
  return stripUndefined(status);
}

function scopedHost(host: ChannelHost, logger: Logger): ChannelHost {
  return {
    receive: (message) => host.receive(message),
    receiveAction: (action) => host.receiveAction(action),
    logger,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, timers: Timers): Promise<T> {
  if (!Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const handle = timers.setTimeout(() => reject(new Error(`start did not finish within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        timers.clearTimeout(handle);
        resolve(value);
      },
      (error: unknown) => {
        timers.clearTimeout(handle);
        reject(error);
      },
    );
  });
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
