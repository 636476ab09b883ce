import {
  type ChannelAdapter,
  errorMessage,
  type Logger,
  type OutboundMessage,
  type SendResult,
} from '@nanoclaw/core';
import { adapterKey, type HostDb } from '../groups/index.js';
import { numberedCardText } from './card-fallback.js';
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
  /**
   * Called once a row is settled for good (`sent`, or `failed` after its last try), e.g. to delete the files it
   * carried. Errors are logged, never retried.
   */
  onSettled?: (row: OutboxRow) => Promise<void>;
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
  return new OutboxSender(options);
}

/** The worker's state and steps: plan a pass, send each chat's head row, settle a failure, report it. */
class OutboxSender implements OutboxWorker {
  readonly #db: HostDb;
  readonly #adapters: OutboxWorkerOptions['adapters'];
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #retry: RetryOptions;
  readonly #concurrency: number;
  readonly #outbox: Outbox;
  readonly #reporter: FailureReporter;
  readonly #onSettled: OutboxWorkerOptions['onSettled'];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: OutboxWorkerOptions) {
    this.#db = options.db;
    this.#adapters = options.adapters;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#onSettled = options.onSettled;
    this.#outbox = options.outbox ?? createOutbox(this.#db, { now: this.#now });
    this.#reporter =
      options.reporter ??
      createFailureReporter({ db: this.#db, outbox: this.#outbox, logger: this.#logger, now: this.#now });
    // Handed out as a callback (timers, outbox.subscribe, callers): bound once.
    this.wake = this.wake.bind(this);
    this.idle = this.idle.bind(this);
  }

  async start(): Promise<{ recovered: number }> {
    this.#stopped = false;
    const recovered = await this.#recoverInterrupted();
    this.#unsubscribe ??= this.#outbox.subscribe(() => this.wake());
    this.wake();
    return { recovered };
  }

  /** Starts a pass unless one runs (then that one goes round again). Never rejects: a failed pass is retried. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#passes()
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'outbox pass failed; retrying shortly');
        this.#arm(this.#now() + PASS_RETRY_MS);
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async flush(deadlineMs: number): Promise<FlushResult> {
    this.wake();
    let timeout: NodeJS.Timeout | undefined;
    const deadline = new Promise<true>((resolve) => {
      timeout = setTimeout(() => resolve(true), Math.max(0, deadlineMs));
    });
    const timedOut = await Promise.race([this.idle().then(() => false as const), deadline]);
    clearTimeout(timeout);
    this.#halt();
    return { timedOut, remaining: await this.#countUnsent() };
  }

  async stop(): Promise<void> {
    this.#halt();
    await this.idle();
  }

  /** Rows left `sending` by a crash go back to `pending`: sent again, at most one duplicate each. */
  async #recoverInterrupted(): Promise<number> {
    const reset = await this.#db
      .updateTable('outbound_messages')
      .set({ status: 'pending' })
      .where('status', '=', 'sending')
      .executeTakeFirst();
    const recovered = Number(reset.numUpdatedRows);
    if (recovered > 0) {
      this.#logger.warn(
        { recovered },
        'outbound messages interrupted mid-send are sent again (at most one duplicate each)',
      );
    }
    return recovered;
  }

  async #countUnsent(): Promise<number> {
    const left = await this.#db
      .selectFrom('outbound_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirstOrThrow();
    return Number(left.n);
  }

  #arm(at: number | null): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (at === null || this.#stopped) return;
    this.#timer = setTimeout(this.wake, Math.min(MAX_TIMER_MS, Math.max(0, at - this.#now())));
  }

  #halt(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #passes(): Promise<void> {
    do {
      this.#again = false;
      await this.#pass();
    } while (this.#again && !this.#stopped);
  }

  async #pass(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const { due, nextAt } = await this.#plan();
      if (due.length === 0) {
        this.#arm(nextAt);
        return;
      }
      for (let index = 0; index < due.length; index += this.#concurrency) {
        await Promise.all(due.slice(index, index + this.#concurrency).map((row) => this.#sendOne(row)));
      }
    }
  }

  /** The oldest pending row of each chat; the due ones, and when the next of the rest is due. */
  async #plan(): Promise<{ due: OutboxRow[]; nextAt: number | null }> {
    const heads = await this.#db
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
    const at = this.#now();
    const due: OutboxRow[] = [];
    let nextAt: number | null = null;
    for (const head of heads.map(rowToOutbox)) {
      if (head.nextAttemptAt <= at) due.push(head);
      else nextAt = nextAt === null ? head.nextAttemptAt : Math.min(nextAt, head.nextAttemptAt);
    }
    return { due, nextAt };
  }

  /** Claims the row (another pass may have), sends it, and records the outcome. */
  async #sendOne(row: OutboxRow): Promise<void> {
    const claimed = await this.#db
      .updateTable('outbound_messages')
      .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return;
    const attempts = row.attempts + 1;
    const adapter = this.#adapters.get(adapterKey(row.message));
    try {
      if (!adapter) throw new Error(`no channel adapter for ${adapterKey(row.message)}`);
      const result = await sendThrough(adapter, row.message);
      await this.#db
        .updateTable('outbound_messages')
        .set({
          status: 'sent',
          sent_at: this.#now(),
          last_error: null,
          platform_message_ids: JSON.stringify(result.platformMessageIds),
        })
        .where('id', '=', row.id)
        .execute();
      await this.#settled(row);
    } catch (error) {
      await this.#settleFailure(row, attempts, error);
    }
  }

  async #settled(row: OutboxRow): Promise<void> {
    await this.#onSettled?.(row).catch((error: unknown) => {
      this.#logger.warn({ key: row.idempotencyKey, err: error }, 'outbox settle hook failed');
    });
  }

  async #settleFailure(row: OutboxRow, attempts: number, error: unknown): Promise<void> {
    const message = describe(error);
    const decision = decideAfterError(attempts, error, this.#retry, this.#random);
    if (decision.kind === 'retry') {
      await this.#db
        .updateTable('outbound_messages')
        .set({ status: 'pending', next_attempt_at: this.#now() + decision.delayMs, last_error: message })
        .where('id', '=', row.id)
        .execute();
      this.#logger.warn(
        { key: row.idempotencyKey, attempts, retryInMs: decision.delayMs, err: error },
        'outbound send failed; will retry',
      );
      return;
    }
    await this.#db
      .updateTable('outbound_messages')
      .set({ status: 'failed', last_error: message })
      .where('id', '=', row.id)
      .execute();
    await this.#settled(row);
    await this.#reportUndelivered(row, attempts, decision.reason, message);
  }

  async #reportUndelivered(row: OutboxRow, attempts: number, reason: string, error: string): Promise<void> {
    const chat = {
      channel: row.message.channel,
      accountId: row.message.accountId,
      chatId: row.message.chatId,
    };
    if (isNoticeKey(row.idempotencyKey) || !this.#adapters.has(adapterKey(chat))) {
      this.#logger.error(
        { key: row.idempotencyKey, attempts, reason, error },
        'outbound message failed for good; no notice can be sent to its chat',
      );
      return;
    }
    const text =
      reason === 'permanent'
        ? '⚠️ A reply could not be delivered to this chat.'
        : `⚠️ A reply could not be delivered to this chat after ${attempts} attempts.`;
    await this.#reporter.report({
      chat: row.message.threadId === undefined ? chat : { ...chat, threadId: row.message.threadId },
      groupId: row.groupId,
      kind: 'delivery-failed',
      key: row.idempotencyKey,
      text,
      error,
    });
  }
}

function describe(error: unknown): string {
  const text = errorMessage(error) || String(error);
  return text.slice(0, 2_000);
}

/** A text, or a card: platform buttons where the adapter has them, else a numbered list in plain text. */
function sendThrough(adapter: ChannelAdapter, message: OutboundMessage): Promise<SendResult> {
  const { buttons, ...plain } = message;
  if (!buttons) return adapter.send(message);
  if (adapter.sendCard) {
    return adapter.sendCard({
      channel: message.channel,
      accountId: message.accountId,
      chatId: message.chatId,
      ...(message.threadId === undefined ? {} : { threadId: message.threadId }),
      text: message.text,
      options: buttons,
    });
  }
  return adapter.send({
    ...plain,
    text: numberedCardText(
      message.text,
      buttons.map((b) => b.label),
    ),
  });
}
