import { beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv } from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { createOutbox, OutboundValidationError, type Outbox, type OutboxRow } from './outbox.js';

const env = perTest(createTestEnv);
let outbox: Outbox;
let clock = 1_000;

beforeEach(async () => {
  clock = 1_000;
  outbox = createOutbox(env.database.db, { now: () => clock });
});

const input = (key: string, text = 'hello') => ({
  channel: 'telegram',
  chatId: '42',
  text,
  idempotencyKey: key,
});

describe('createOutbox', () => {
  it('stores a pending row due now', async () => {
    const { row, duplicate } = await outbox.enqueue({ ...input('k1'), threadId: 't' });
    expect(duplicate).toBe(false);
    expect(row).toMatchObject({
      idempotencyKey: 'k1',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: 1_000,
      groupId: null,
      message: { channel: 'telegram', accountId: 'default', chatId: '42', threadId: 't', text: 'hello' },
      platformMessageIds: null,
      sentAt: null,
    });
  });

  it('enqueueing the same key twice is a no-op returning the existing row', async () => {
    const first = await outbox.enqueue(input('k1', 'first'));
    clock = 2_000;
    const again = await outbox.enqueue(input('k1', 'second'));
    expect(again.duplicate).toBe(true);
    expect(again.row).toEqual(first.row);
    expect(await outbox.list()).toHaveLength(1);
  });

  it('tells subscribers about new rows only', async () => {
    const seen: OutboxRow[] = [];
    const unsubscribe = outbox.subscribe((row) => seen.push(row));
    await outbox.enqueue(input('a'));
    await outbox.enqueue(input('a'));
    outbox.subscribe(() => {
      throw new Error('a broken listener does not fail enqueue');
    });
    await outbox.enqueue(input('b'));
    unsubscribe();
    await outbox.enqueue(input('c'));
    expect(seen.map((r) => r.idempotencyKey)).toEqual(['a', 'b']);
  });

  it('honours notBefore and filters by status and chat', async () => {
    await outbox.enqueue({ ...input('later'), notBefore: 9_000 });
    await outbox.enqueue({ ...input('other'), chatId: '7' });
    expect((await outbox.get('later'))?.nextAttemptAt).toBe(9_000);
    const chat = { channel: 'telegram', accountId: 'default', chatId: '7' };
    expect((await outbox.list({ chat })).map((r) => r.idempotencyKey)).toEqual(['other']);
    expect(await outbox.list({ status: 'sent' })).toEqual([]);
  });

  it('stores a text longer than the channel takes as parts in order, each within its limit', async () => {
    const limits: Record<string, number> = { 'telegram:default': 4096 };
    const split = createOutbox(env.database.db, {
      now: () => clock,
      maxTextLength: (chat) => limits[`${chat.channel}:${chat.accountId}`],
    });
    const text = paragraphs(150_000);
    const { row, duplicate } = await split.enqueue({
      ...input('reply:r1:0', text),
      replyToPlatformMessageId: '77',
    });
    expect(duplicate).toBe(false);
    const rows = await split.list();
    expect(rows.length).toBeGreaterThanOrEqual(Math.ceil(150_000 / 4096));
    expect(row).toEqual(rows[0]);
    expect(rows.every((r) => r.message.text.length <= 4096 && r.status === 'pending')).toBe(true);
    expect(rows.map((r) => r.idempotencyKey).slice(0, 3)).toEqual([
      'reply:r1:0',
      'reply:r1:0#2',
      'reply:r1:0#3',
    ]);
    expect(rows.map((r) => r.message.part?.index)).toEqual(rows.map((_, index) => index + 1));
    expect(
      rows.every((r) => r.message.part?.count === rows.length && r.message.part.of === 'reply:r1:0'),
    ).toBe(true);
    expect(rows.map((r) => r.message.replyToPlatformMessageId).filter(Boolean)).toEqual(['77']);
    // Cut between paragraphs only: nothing lost, nothing reordered.
    expect(rows.map((r) => r.message.text).join('\n\n')).toBe(text);

    const again = await split.enqueue(input('reply:r1:0', text));
    expect(again).toEqual({ row: rows[0], duplicate: true });
    expect(await split.list()).toHaveLength(rows.length);
  });

  it('splits at 100,000 where the channel is not known yet, and keeps a text that fits whole', async () => {
    const text = paragraphs(150_000);
    await outbox.enqueue(input('long', text));
    await outbox.enqueue(input('short', 'x'.repeat(100_000)));
    const rows = await outbox.list();
    expect(
      rows.map((r) => [r.idempotencyKey, r.message.text.length <= 100_000, r.message.part?.count]),
    ).toEqual([
      ['long', true, 2],
      ['long#2', true, 2],
      ['short', true, undefined],
    ]);
  });

  it('refuses invalid input and stores nothing', async () => {
    await expect(outbox.enqueue({ ...input('k'), chatId: '' })).rejects.toBeInstanceOf(
      OutboundValidationError,
    );
    await expect(outbox.enqueue({ ...input(''), text: 'x' })).rejects.toThrow(/idempotencyKey/);
    expect(await outbox.list()).toEqual([]);
  });
});

/** Paragraphs of prose, `length` characters in all. */
function paragraphs(length: number): string {
  const paragraph = 'The quick brown fox jumps over the lazy dog. '.repeat(20).trim();
  let text = '';
  for (let index = 0; text.length < length; index += 1) text += `${index === 0 ? '' : '\n\n'}${paragraph}`;
  return `${text.slice(0, length - 1).trimEnd()}.`;
}
