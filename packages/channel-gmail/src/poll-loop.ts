import { type BackoffOptions, backoffDelay, sleep, type Timers } from '@nanoclaw/channel-registry';
import type { Logger } from '@nanoclaw/core';
import { describeError, httpFailure, isUnauthorized, retryAfterMs } from './errors.js';
import type { Changes } from './mailbox.js';

export interface PollLoopOptions {
  /** Where the last read ended (the stored history id). */
  historyId: string;
  /** The messages added since `historyId` (a full re-sync when the history is gone). */
  changes(historyId: string): Promise<Changes>;
  /** Handles one added message; throwing leaves the history id where it was, so the mail is read again. */
  handle(messageId: string): Promise<void>;
  /** The read went through up to `historyId` and each of its messages was handled: store it durably. */
  onHistory(historyId: string): Promise<void>;
  onHealth(connected: boolean, error?: string): void;
  /** Pause between reads when nothing failed. */
  intervalMs: number;
  backoff: BackoffOptions;
  timers: Timers;
  random: () => number;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Reads the mailbox history every `intervalMs` until `signal` aborts. The stored history id moves only after
 * every message of a read was handled (and that is written to disk), so a restart neither repeats nor misses
 * mail. A failing read or handler backs off exponentially with jitter — or as long as a 429's Retry-After says.
 */
export async function runPollLoop(options: PollLoopOptions): Promise<void> {
  const { signal, logger } = options;
  let historyId = options.historyId;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const changes = await options.changes(historyId);
      for (const id of changes.messageIds) {
        if (signal.aborted) return;
        await options.handle(id);
      }
      if (signal.aborted) return;
      if (changes.historyId !== historyId || changes.resynced) {
        await options.onHistory(changes.historyId);
        historyId = changes.historyId;
      }
      failures = 0;
      options.onHealth(true);
      await sleep(options.intervalMs, options.timers, signal);
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      const waitMs = delayAfter(error, failures, options);
      const reason = describeError(error);
      options.onHealth(false, reason);
      logger[isUnauthorized(error) ? 'error' : 'warn'](
        { err: reason, attempt: failures, delayMs: waitMs },
        'gmail mailbox read failed; retrying',
      );
      await sleep(waitMs, options.timers, signal);
    }
  }
}

/** A 429's Retry-After when it has one (never less than the backoff), else exponential backoff with jitter. */
export function delayAfter(
  error: unknown,
  failures: number,
  options: Pick<PollLoopOptions, 'backoff' | 'random'>,
): number {
  const backoff = backoffDelay(failures - 1, options.backoff, options.random);
  const failure = httpFailure(error);
  if (failure?.status !== 429) return backoff;
  return Math.max(backoff, retryAfterMs(failure.retryAfter) ?? 0);
}
