import { beforeEach, describe, expect, it } from 'vitest';
import {
  createRecordingLogger,
  createTestEnv,
  type RecordingLogger,
  telegramChat,
} from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { createOutbox, type Outbox } from './outbox.js';
import { createFailureReporter, type FailureReporter, noticeKey } from './report-failure.js';

const env = perTest(createTestEnv);
let outbox: Outbox;
let reporter: FailureReporter;
let logger: RecordingLogger;
let clock = 0;

beforeEach(async () => {
  clock = 1_000_000;
  logger = createRecordingLogger();
  outbox = createOutbox(env.database.db, { now: () => clock });
  reporter = createFailureReporter({ db: env.database.db, outbox, logger, now: () => clock });
});

const report = (chatId: string, key: string) =>
  reporter.report({
    chat: telegramChat(chatId),
    kind: 'run-dead-lettered',
    key,
    text: 'Sorry, I could not answer that.',
    error: 'provider exploded at /secret/path',
  });

describe('reportFailure', () => {
  it('enqueues a notice to the chat, recorded as an outbox row with its own key', async () => {
    const result = await report('42', 'item-1');
    expect(result.status).toBe('notified');
    const row = await outbox.get('notice:run-dead-lettered:item-1');
    expect(row).toMatchObject({
      status: 'pending',
      message: { chatId: '42', text: 'Sorry, I could not answer that.' },
    });
    expect(row?.message.text).not.toContain('/secret/path');
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'error',
      bindings: {
        kind: 'run-dead-lettered',
        key: 'item-1',
        notice: 'notified',
        error: expect.stringContaining('exploded'),
      },
    });
  });

  it('reporting the same failure twice sends one notice', async () => {
    await report('42', 'item-1');
    clock += 60 * 60_000;
    expect((await report('42', 'item-1')).status).toBe('duplicate');
    expect(await outbox.list()).toHaveLength(1);
  });

  it('allows at most one notice per chat per 10 minutes, but always logs', async () => {
    await report('42', 'a');
    clock += 9 * 60_000;
    const limited = await report('42', 'b');
    expect(limited).toEqual({ status: 'rate-limited', lastNoticeAt: 1_000_000 });
    expect(logger.lines.at(-1)?.message).toMatch(/suppressed/);
    expect((await report('7', 'c')).status).toBe('notified');
    clock += 2 * 60_000;
    expect((await report('42', 'd')).status).toBe('notified');
    expect((await outbox.list()).map((r) => r.idempotencyKey)).toEqual([
      'notice:run-dead-lettered:a',
      'notice:run-dead-lettered:c',
      'notice:run-dead-lettered:d',
    ]);
  });

  it('concurrent reports to one chat yield one notice', async () => {
    const results = await Promise.all([report('42', 'x'), report('42', 'y'), report('42', 'z')]);
    expect(results.map((r) => r.status).sort()).toEqual(['notified', 'rate-limited', 'rate-limited']);
  });

  it('keeps the thread and hashes over-long keys', async () => {
    await reporter.report({
      chat: { ...telegramChat('42'), threadId: 't1' },
      kind: 'task-failed',
      key: 'r1',
      text: 'Task failed.',
    });
    expect((await outbox.get('notice:task-failed:r1'))?.message.threadId).toBe('t1');
    const long = noticeKey('task-failed', 'k'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(256);
    expect(long).toMatch(/^notice:task-failed:sha256:[0-9a-f]{64}$/);
  });
});
