import { type BackoffOptions, backoffDelay, sleep, type Timers } from '@nanoclaw/channel-registry';
import type { Logger } from '@nanoclaw/core';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { describeError, isConflict, isUnauthorized } from './errors.js';

/** Messages, and taps on the buttons of cards the bot sent. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

export interface PollLoopOptions {
  api: Api;
  /** Long-poll wait, seconds. */
  timeoutSeconds: number;
  /** The next offset to confirm (the update id after the last one handled), if any. */
  offset: number | undefined;
  /** Hands one update to the host; throwing keeps the offset where it is, so the update comes back. */
  handle(update: Update): Promise<void>;
  /** Called after each poll: connected or not, with the error. */
  onHealth(connected: boolean, error?: string): void;
  /** The offset moved (the update id after the last handled update). */
  onOffset(offset: number): void;
  logger: Logger;
  backoff: BackoffOptions;
  timers: Timers;
  random: () => number;
  signal: AbortSignal;
}

/**
 * Long-polls getUpdates until `signal` aborts. The offset sent with each poll confirms updates to Telegram, and it
 * only moves past an update after `handle` resolved for it: a crash (or a failing host) before that gets the update
 * again. Poll failures (network, 409 conflict, 5xx, even 401) back off exponentially with jitter and retry.
 */
export async function runPollLoop(options: PollLoopOptions): Promise<void> {
  const { api, signal, logger } = options;
  let offset = options.offset;
  const failures = { poll: 0, store: 0 };
  const backOff = async (error: unknown, kind: 'poll' | 'store') => {
    failures[kind] += 1;
    const delay = backoffDelay(failures[kind] - 1, options.backoff, options.random);
    const reason = describeError(error);
    if (kind === 'poll') options.onHealth(false, reason);
    const level = isUnauthorized(error) ? 'error' : 'warn';
    const what =
      kind === 'poll'
        ? 'telegram getUpdates failed; retrying'
        : 'telegram update not stored; it will be fetched again';
    logger[level](
      { err: reason, attempt: failures[kind], delayMs: delay, conflict: isConflict(error) },
      what,
    );
    await sleep(delay, options.timers, signal);
  };

  /** The offset Telegram has surely seen: sent with a poll that returned (an aborted poll may never have left). */
  let confirmed = offset;
  while (!signal.aborted) {
    let updates: Update[];
    const polling = offset;
    try {
      updates = await api.getUpdates(
        {
          ...(offset === undefined ? {} : { offset }),
          timeout: options.timeoutSeconds,
          allowed_updates: [...ALLOWED_UPDATES],
        },
        grammySignal(signal),
      );
    } catch (error) {
      if (signal.aborted) break;
      await backOff(error, 'poll');
      continue;
    }
    confirmed = polling;
    failures.poll = 0;
    options.onHealth(true);
    for (const update of updates) {
      if (signal.aborted) break;
      try {
        await options.handle(update);
      } catch (error) {
        if (signal.aborted) break;
        await backOff(error, 'store');
        break;
      }
      failures.store = 0;
      offset = update.update_id + 1;
      options.onOffset(offset);
    }
  }
  if (offset !== undefined && offset !== confirmed) await confirmOffset(api, offset, logger);
}

/** Tells Telegram the handled updates are done (a poll with the new offset and no wait), best effort. */
async function confirmOffset(api: Api, offset: number, logger: Logger): Promise<void> {
  try {
    await api.getUpdates(
      { offset, timeout: 0, limit: 1, allowed_updates: [...ALLOWED_UPDATES] },
      grammySignal(AbortSignal.timeout(2000)),
    );
  } catch (error) {
    logger.debug(
      { err: describeError(error) },
      'telegram offset not confirmed on stop; those updates come again',
    );
  }
}

/** grammy types its signal parameter with the `abort-controller` polyfill; the platform AbortSignal is what it uses. */
function grammySignal(signal: AbortSignal): Parameters<Api['getUpdates']>[1] {
  return signal as unknown as Parameters<Api['getUpdates']>[1];
}
