import type { ChannelAdapter } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createRecordingLogger,
  createTestEnv,
  type RecordingLogger,
  type TestEnv,
} from '../groups/test-support.js';
import { createOutbox, type Outbox } from './outbox.js';
import { createOutboxWorker, type OutboxWorker } from './outbox-worker.js';
import {
  channelError,
  createFakeChannelAdapter,
  type FakeChannelAdapter,
} from './test-utils/fake-channel-adapter.js';

const T0 = Date.parse('2026-11-24T09:00:00Z');
const retry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 };

let env: TestEnv;
let outbox: Outbox;
let adapter: FakeChannelAdapter;
let adapters: Map<string, ChannelAdapter>;
let logger: RecordingLogger;
let worker: OutboxWorker;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
  env = await createTestEnv();
  outbox = createOutbox(env.database.db);
  adapter = createFakeChannelAdapter();
  adapters = new Map([['telegram:default', adapter]]);
  logger = createRecordingLogger();
  worker = createOutboxWorker({ db: env.database.db, adapters, logger, retry, outbox, random: () => 0.5 });
});
afterEach(async () => {
  await worker.stop();
  vi.useRealTimers();
  await env.cleanup();
});

const send = (key: string, chatId = '42', text = `text ${key}`) =>
  outbox.enqueue({ channel: 'telegram', chatId, text, idempotencyKey: key, groupId: null });

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await worker.idle();
}

describe('createOutboxWorker', () => {
  it('sends on enqueue with the idempotency key, marks sent, and leaves no timer behind', async () => {
    await worker.start();
    await send('run-1:1');
    await worker.idle();
    expect(adapter.sent).toEqual([
      expect.objectContaining({ idempotencyKey: 'run-1:1', chatId: '42', text: 'text run-1:1' }),
    ]);
    expect(await outbox.get('run-1:1')).toMatchObject({
      status: 'sent',
      attempts: 1,
      sentAt: T0,
      platformMessageIds: ['telegram-1'],
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('calls onSettled once per row settled for good (sent, or failed after its last try), not on a retry', async () => {
    await worker.stop();
    const settled: string[] = [];
    worker = createOutboxWorker({
      db: env.database.db,
      adapters,
      logger,
      retry,
      outbox,
      random: () => 0.5,
      onSettled: async (row) => {
        settled.push(`${row.idempotencyKey}:${row.message.text}`);
      },
    });
    await worker.start();
    await send('ok');
    await worker.idle();
    adapter.failNext(channelError('network down'), channelError('bad request', { permanent: true }));
    await send('bad');
    await worker.idle();
    expect(settled).toEqual(['ok:text ok']);
    await advance(1_000);
    // The failure notice the chat then gets is a row of its own, settled too.
    expect(settled).toEqual([
      'ok:text ok',
      'bad:text bad',
      'notice:delivery-failed:bad:⚠️ A reply could not be delivered to this chat.',
    ]);
    expect(await outbox.get('bad')).toMatchObject({ status: 'failed' });
  });

  it('sends rows that were already due at start', async () => {
    await send('a');
    await worker.start();
    await worker.idle();
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['a']);
  });

  it('retries with exponential backoff, armed as one timer for the next due row', async () => {
    await worker.start();
    adapter.failNext(channelError('network down'), channelError('network down'));
    await send('a');
    await worker.idle();
    expect(await outbox.get('a')).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: T0 + 1_000,
    });
    expect(vi.getTimerCount()).toBe(1);
    await advance(999);
    expect(adapter.calls).toHaveLength(1);
    await advance(1);
    expect(adapter.calls).toHaveLength(2);
    expect(await outbox.get('a')).toMatchObject({ attempts: 2, nextAttemptAt: T0 + 1_000 + 2_000 });
    await advance(2_000);
    expect(await outbox.get('a')).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
  });

  it('applies jitter to the backoff', async () => {
    await worker.stop();
    worker = createOutboxWorker({
      db: env.database.db,
      adapters,
      logger,
      outbox,
      retry: { ...retry, jitter: 0.5 },
      random: () => 0,
    });
    await worker.start();
    adapter.failNext(channelError('x'));
    await send('a');
    await worker.idle();
    expect((await outbox.get('a'))?.nextAttemptAt).toBe(T0 + 500);
  });

  it('honours a 429 retryAfterMs', async () => {
    await worker.start();
    adapter.failNext(channelError('429 Too Many Requests', { retryAfterMs: 30_000 }));
    await send('a');
    await worker.idle();
    await advance(29_999);
    expect(adapter.sent).toEqual([]);
    await advance(1);
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['a']);
  });

  it('keeps each chat in order while one of its messages waits, other chats go on', async () => {
    await worker.start();
    adapter.failNext(channelError('flaky'));
    await send('a1', '42');
    await send('a2', '42');
    await send('b1', '7');
    await worker.idle();
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['b1']);
    await advance(1_000);
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['b1', 'a1', 'a2']);
  });

  it('fails a permanent error at once and tells the chat', async () => {
    await worker.start();
    adapter.failNext(channelError('message is too long', { permanent: true }));
    await send('a');
    await worker.idle();
    expect(await outbox.get('a')).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'message is too long',
    });
    const notice = await outbox.get('notice:delivery-failed:a');
    expect(notice).toMatchObject({ status: 'sent', message: { chatId: '42' } });
    expect(notice?.message.text).toBe('⚠️ A reply could not be delivered to this chat.');
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['notice:delivery-failed:a']);
  });

  it('after max attempts: failed, one notice per chat per 10 minutes, each failure logged', async () => {
    await worker.start();
    const failures = () => Array.from({ length: 3 }, () => channelError('HTTP 500'));
    adapter.failNext(...failures(), ...failures());
    await send('a');
    await send('b');
    await advance(1_000 + 2_000);
    expect(await outbox.get('a')).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 500' });
    await advance(1_000 + 2_000);
    expect(await outbox.get('b')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['notice:delivery-failed:a']);
    expect(adapter.sent[0]?.text).toMatch(/after 3 attempts/);
    const logged = logger.lines.filter((l) => l.level === 'error' && l.bindings.kind === 'delivery-failed');
    expect(logged.map((l) => l.bindings.notice)).toEqual(['notified', 'rate-limited']);

    await advance(10 * 60_000);
    adapter.failNext(channelError('gone', { permanent: true }));
    await send('c');
    await worker.idle();
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual([
      'notice:delivery-failed:a',
      'notice:delivery-failed:c',
    ]);
  });

  it('never sends a notice about a failed notice', async () => {
    await worker.start();
    adapter.failNext(
      channelError('bot was kicked', { permanent: true }),
      channelError('bot was kicked', { permanent: true }),
    );
    await send('a');
    await worker.idle();
    expect(await outbox.get('notice:delivery-failed:a')).toMatchObject({ status: 'failed' });
    expect(await outbox.list()).toHaveLength(2);
    expect(logger.lines.some((l) => /no notice can be sent/.test(l.message))).toBe(true);
  });

  it('fails a message for a channel that never gets an adapter, without a notice', async () => {
    await worker.start();
    await outbox.enqueue({ channel: 'slack', chatId: 'C1', text: 'x', idempotencyKey: 's' });
    await advance(1_000 + 2_000);
    expect(await outbox.get('s')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(await outbox.list()).toHaveLength(1);
    expect(logger.lines.some((l) => l.level === 'error' && /no notice can be sent/.test(l.message))).toBe(
      true,
    );
  });

  it('retries while the adapter is missing: it may connect later', async () => {
    await worker.start();
    await outbox.enqueue({ channel: 'slack', chatId: 'C1', text: 'x', idempotencyKey: 's' });
    await worker.idle();
    expect(await outbox.get('s')).toMatchObject({
      status: 'pending',
      lastError: 'no channel adapter for slack:default',
    });
    const slack = createFakeChannelAdapter('slack');
    adapters.set('slack:default', slack);
    await advance(1_000);
    expect(slack.sent.map((m) => m.idempotencyKey)).toEqual(['s']);
  });

  it('resends a row a crash left mid-send, once', async () => {
    await send('a');
    await env.database.db.updateTable('outbound_messages').set({ status: 'sending', attempts: 1 }).execute();
    const report = await worker.start();
    await worker.idle();
    expect(report).toEqual({ recovered: 1 });
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['a']);
    expect(await outbox.get('a')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('flush sends what is due and stops; a stuck send times out and is left for the next start', async () => {
    await worker.start();
    adapter.failNext(channelError('x'));
    await send('later');
    await worker.idle();
    await send('now', '9');
    await worker.idle();
    const release = adapter.hold();
    await send('stuck', '7');
    const flushing = worker.flush(5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await flushing).toEqual({ timedOut: true, remaining: 2 });
    release();
    await worker.idle();
    expect(adapter.sent.map((m) => m.idempotencyKey)).toEqual(['now', 'stuck']);
    await send('after-stop');
    await worker.idle();
    expect(adapter.calls.map((m) => m.idempotencyKey)).not.toContain('after-stop');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('flush resolves early when everything due is sent', async () => {
    await worker.start();
    await send('a');
    expect(await worker.flush(60_000)).toEqual({ timedOut: false, remaining: 0 });
  });
});
