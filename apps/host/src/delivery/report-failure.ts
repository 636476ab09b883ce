import { createHash } from 'node:crypto';
import type { Logger } from '@nanoclaw/core';
import { type ChatRef, formatChatRef, type HostDb } from '../groups/index.js';
import type { Outbox, OutboxRow } from './outbox.js';

/** Outbox keys of failure notices start with this; the per-chat rate limit counts these rows. */
export const NOTICE_KEY_PREFIX = 'notice:';

export interface FailureReport {
  /** The chat the user should hear it in. */
  chat: ChatRef;
  groupId?: string | null;
  /** `run-dead-lettered`, `task-failed`, `delivery-failed`, `config-error`, ... */
  kind: string;
  /** Identifies this failure (queue item id, task run id, outbound key): reported twice, noticed once. */
  key: string;
  /** What the user reads. Keep raw errors out: they can carry tokens, URLs or paths. */
  text: string;
  /** Logged with the report, never sent. */
  error?: string;
}

export type FailureReportResult =
  | { status: 'notified'; row: OutboxRow }
  | { status: 'duplicate'; row: OutboxRow }
  | { status: 'rate-limited'; lastNoticeAt: number };

export interface FailureReporterOptions {
  db: HostDb;
  outbox: Pick<Outbox, 'enqueue' | 'get'>;
  logger: Logger;
  /** At most one notice per chat in this window (ms). Default 10 minutes. */
  minIntervalMs?: number;
  now?: () => number;
}

export interface FailureReporter {
  /**
   * Logs the failure (always, at error level) and, unless the chat had a notice within the window, enqueues a
   * notice to the chat as an outbox row keyed `notice:<kind>:<key>` (so a re-report never sends twice).
   */
  report(failure: FailureReport): Promise<FailureReportResult>;
}

export function noticeKey(kind: string, key: string): string {
  const plain = `${NOTICE_KEY_PREFIX}${kind}:${key}`;
  if (plain.length <= 256) return plain;
  return `${NOTICE_KEY_PREFIX}${kind.slice(0, 64)}:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function isNoticeKey(idempotencyKey: string): boolean {
  return idempotencyKey.startsWith(NOTICE_KEY_PREFIX);
}

/** Failure notices for the group's chat: rate-limited per chat, recorded in the outbox, never silent. */
export function createFailureReporter(options: FailureReporterOptions): FailureReporter {
  const { db, outbox, logger } = options;
  const now = options.now ?? Date.now;
  const minIntervalMs = options.minIntervalMs ?? 10 * 60_000;
  let chain: Promise<unknown> = Promise.resolve();

  async function lastNoticeAt(chat: ChatRef, since: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('outbound_messages')
      .select('created_at')
      .where('channel', '=', chat.channel)
      .where('account_id', '=', chat.accountId)
      .where('chat_id', '=', chat.chatId)
      .where('idempotency_key', 'like', `${NOTICE_KEY_PREFIX}%`)
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.created_at;
  }

  async function reportNow(failure: FailureReport): Promise<FailureReportResult> {
    const key = noticeKey(failure.kind, failure.key);
    const existing = await outbox.get(key);
    const at = now();
    const last = existing ? undefined : await lastNoticeAt(failure.chat, at - minIntervalMs);
    const result: FailureReportResult = existing
      ? { status: 'duplicate', row: existing }
      : last !== undefined
        ? { status: 'rate-limited', lastNoticeAt: last }
        : { status: 'notified', row: (await enqueueNotice(failure, key)).row };
    logger.error(
      {
        kind: failure.kind,
        key: failure.key,
        chat: formatChatRef(failure.chat),
        groupId: failure.groupId ?? null,
        error: failure.error,
        notice: result.status,
      },
      `${failure.kind}: ${failure.text}${result.status === 'rate-limited' ? ' (chat notice suppressed: rate limit)' : ''}`,
    );
    return result;
  }

  function enqueueNotice(failure: FailureReport, key: string) {
    return outbox.enqueue({
      channel: failure.chat.channel,
      accountId: failure.chat.accountId,
      chatId: failure.chat.chatId,
      ...(failure.chat.threadId === undefined ? {} : { threadId: failure.chat.threadId }),
      text: failure.text,
      idempotencyKey: key,
      groupId: failure.groupId ?? null,
    });
  }

  return {
    report(failure) {
      // One at a time, so two failures at once cannot both pass the rate limit.
      const next = chain.then(() => reportNow(failure));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
