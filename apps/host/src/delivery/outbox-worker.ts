import { type ChannelAdapter, errorMessage, type Logger } from '@nanoclaw/core';
import { adapterKey, type HostDb } from '../groups/index.js';
import { createOutbox, type Outbox, type OutboxRow, rowToOutbox } from './outbox.js';
import { createFailureReporter, type FailureReporter, isNoticeKey } from './report-failure.js';
import { DEFAULT_RETRY, decideAfterError, type RetryOptions } from './retry-policy.js';

/** Longest single `setTimeout` Node accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After a database error in a pass, try again this much later. */
const PASS_RETRY_MS = 5_000;
/** Chats served per pass (their oldest pending row each). */
const BATCH = 1_000;

export interface OutboxWorkerOptions {
  db: HostDb;
  /** Adapters by `channel:account`. May be filled in later: a missing adapter is retried like a send error. */
  adapters: Pick<ReadonlyMap<string, ChannelAdapter>, 'get' | 'has'>;
  logger: Logger;
  retry?: Partial<RetryOptions>;
  /** Enqueues notices and wakes the worker on enqueue. Default: `createOutbox(db)`. */
  outbox?: Outbox;
  /** Reports messages that failed for good to their chat. Default: rate-limited per chat over `outbox`. */
  reporter?: FailureReporter;
  /** Chats sent to in parallel (one message at a time per chat, in order). Default 4. */
  concurrency?: number;
  now?: () => number;
  random?: () => number;
}

export interface FlushResult {
  /** The deadline passed with sends still in flight. */
  timedOut: boolean;
  /** Rows still `pending` or `sending` (they are sent after the next start). */
  remaining: number;
}

export interface OutboxWorker {
  /** Resets rows left `sending` by a crash to `pending`, then sends what is due. */
  start(): Promise<{ recovered: number }>;
  /** Re-reads the outbox now (enqueue through the given outbox does this by itself). */
  wake(): void;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  /** Graceful shutdown: sends everything due now, waits up to `deadlineMs`, then stops. */
  flush(deadlineMs: number): Promise<FlushResult>;
  stop(): Promise<void>;
}

/**
 * Sends outbox rows through their channel adapter: oldest first, one at a time per chat (so a chat's messages
 * keep their order), retries with exponential backoff and jitter, honouring `retryAfterMs` and `permanent`.
 * After `maxAttempts` (or a permanent error) a row is `failed` and the chat gets a rate-limited notice.
 * Event-driven: one timer for the next due row, woken on enqueue; no polling.
 *
 * Delivery is at-least-once: a crash after the platform accepted a message and before the row is marked
 * `sent` leaves it `sending`, and `start()` sends it again — at worst once more. Every send carries the row's
 * idempotency key, so adapters whose platform can dedupe do.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, adapters, logger } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const outbox = options.outbox ?? createOutbox(db, { now });
  const reporter = options.reporter ?? createFailureReporter({ db, outbox, logger, now });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;

  function arm(at: number | null): void {
    clearTimeout(timer);
    timer = undefined;
    if (at === null || stopped) return;
    timer = setTimeout(wake, Math.min(MAX_TIMER_MS, Math.max(0, at - now())));
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    })()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'outbox pass failed; retrying shortly');
        arm(now() + PASS_RETRY_MS);
      })
      .finally(() => {
        running = undefined;
      });
  }

  async function pass(): Promise<void> {
    for (;;) {
      if (stopped) return;
      const { due, nextAt } = await plan();
      if (due.length === 0) {
        arm(nextAt);
        return;
      }
      for (let index = 0; index < due.length; index += concurrency) {
        await Promise.all(due.slice(index, index + concurrency).map(sendOne));
      }
    }
  }

  /** The oldest pending row of each chat; the due ones, and when the next of the rest is due. */
  async function plan(): Promise<{ due: OutboxRow[]; nextAt: number | null }> {
    const heads = await db
      .selectFrom('outbound_messages')
      .selectAll()
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbound_messages')
          .select((inner) => inner.fn.min<number>('id').as('head'))
          .where('status', '=', 'pending')
          .groupBy(['channel', 'account_id', 'chat_id']),
      )
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const at = now();
    const due: OutboxRow[] = [];
    let nextAt: number | null = null;
    for (const head of heads.map(rowToOutbox)) {
      if (head.nextAttemptAt <= at) due.push(head);
      else nextAt = nextAt === null ? head.nextAttemptAt : Math.min(nextAt, head.nextAttemptAt);
    }
    return { due, nextAt };
  }

  async function sendOne(row: OutboxRow): Promise<void> {
    const claimed = await db
      .updateTable('outbound_messages')
      .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return;
    const attempts = row.attempts + 1;
    const adapter = adapters.get(adapterKey(row.message));
    try {
      if (!adapter) throw new Error(`no channel adapter for ${adapterKey(row.message)}`);
      const result = await adapter.send(row.message);
      await db
        .updateTable('outbound_messages')
        .set({
          status: 'sent',
          sent_at: now(),
          last_error: null,
          platform_message_ids: JSON.stringify(result.platformMessageIds),
        })
        .where('id', '=', row.id)
        .execute();
    } catch (error) {
      await settleFailure(row, attempts, error);
    }
  }

  async function settleFailure(row: OutboxRow, attempts: number, error: unknown): Promise<void> {
    const message = describe(error);
    const decision = decideAfterError(attempts, error, retry, random);
    if (decision.kind === 'retry') {
      await db
        .updateTable('outbound_messages')
        .set({ status: 'pending', next_attempt_at: now() + decision.delayMs, last_error: message })
        .where('id', '=', row.id)
        .execute();
      logger.warn(
        { key: row.idempotencyKey, attempts, retryInMs: decision.delayMs, err: error },
        'outbound send failed; will retry',
      );
      return;
    }
    await db
      .updateTable('outbound_messages')
      .set({ status: 'failed', last_error: message })
      .where('id', '=', row.id)
      .execute();
    await reportUndelivered(row, attempts, decision.reason, message);
  }

  async function reportUndelivered(row: OutboxRow, attempts: number, reason: string, error: string) {
    const chat = {
      channel: row.message.channel,
      accountId: row.message.accountId,
      chatId: row.message.chatId,
    };
    if (isNoticeKey(row.idempotencyKey) || !adapters.has(adapterKey(chat))) {
      logger.error(
        { key: row.idempotencyKey, attempts, reason, error },
        'outbound message failed for good; no notice can be sent to its chat',
      );
      return;
    }
    const text =
      reason === 'permanent'
        ? '⚠️ A reply could not be delivered to this chat.'
        : `⚠️ A reply could not be delivered to this chat after ${attempts} attempts.`;
    await reporter.report({
      chat: row.message.threadId === undefined ? chat : { ...chat, threadId: row.message.threadId },
      groupId: row.groupId,
      kind: 'delivery-failed',
      key: row.idempotencyKey,
      text,
      error,
    });
  }

  async function idle(): Promise<void> {
    while (running) await running;
  }

  function halt(): void {
    stopped = true;
    clearTimeout(timer);
    timer = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
  }

  return {
    async start() {
      stopped = false;
      const reset = await db
        .updateTable('outbound_messages')
        .set({ status: 'pending' })
        .where('status', '=', 'sending')
        .executeTakeFirst();
      const recovered = Number(reset.numUpdatedRows);
      if (recovered > 0) {
        logger.warn(
          { recovered },
          'outbound messages interrupted mid-send are sent again (at most one duplicate each)',
        );
      }
      unsubscribe ??= outbox.subscribe(() => wake());
      wake();
      return { recovered };
    },
    wake,
    idle,
    async flush(deadlineMs) {
      wake();
      let timeout: NodeJS.Timeout | undefined;
      const deadline = new Promise<true>((resolve) => {
        timeout = setTimeout(() => resolve(true), Math.max(0, deadlineMs));
      });
      const timedOut = await Promise.race([idle().then(() => false as const), deadline]);
      clearTimeout(timeout);
      halt();
      const left = await db
        .selectFrom('outbound_messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow();
      return { timedOut, remaining: Number(left.n) };
    },
    async stop() {
      halt();
      await idle();
    },
  };
}

function describe(error: unknown): string {
  const text = errorMessage(error) || String(error);
  return text.slice(0, 2_000);
}
