import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../groups/test-support.js';
import { createOutbox, OutboundValidationError, type Outbox, type OutboxRow } from './outbox.js';

let env: TestEnv;
let outbox: Outbox;
let clock = 1_000;

beforeEach(async () => {
  env = await createTestEnv();
  clock = 1_000;
  outbox = createOutbox(env.database.db, { now: () => clock });
});
afterEach(() => env.cleanup());

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

  it('refuses invalid input and stores nothing', async () => {
    await expect(outbox.enqueue({ ...input('k'), chatId: '' })).rejects.toBeInstanceOf(
      OutboundValidationError,
    );
    await expect(outbox.enqueue({ ...input(''), text: 'x' })).rejects.toThrow(/idempotencyKey/);
    expect(await outbox.list()).toEqual([]);
  });
});
