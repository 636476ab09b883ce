import { openDatabase } from '@nanoclaw/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupRegistry } from '../groups/group-registry.js';
import { createFamilyEnv, type TestEnv, telegramMessage } from '../groups/test-support.js';
import { createInbox, InboundValidationError, type Inbox } from './inbox.js';

let env: TestEnv;
let inbox: Inbox;
let clock = 0;

const message = telegramMessage;

beforeEach(async () => {
  ({ env } = await createFamilyEnv());
  clock = 1_000;
  inbox = createInbox(env.database.db, { now: () => clock });
});
afterEach(() => env.cleanup());

describe('store', () => {
  it('validates, stores as received and parses the payload back', async () => {
    const result = await inbox.store(message('1', { replyTo: { platformMessageId: '0', text: 'q' } }));
    expect(result.duplicate).toBe(false);
    expect(result.message).toMatchObject({
      groupId: null,
      status: 'received',
      tries: 0,
      sentAt: Date.parse('2026-11-24T09:00:00Z'),
      receivedAt: 1_000,
      message: { accountId: 'default', chatId: '42', replyTo: { text: 'q' } },
    });
  });

  it('is a no-op on redelivery of the same platform id', async () => {
    const first = await inbox.store(message('1'));
    const again = await inbox.store(message('1', { text: 'edited?' }));
    expect(again.duplicate).toBe(true);
    expect(again.message.id).toBe(first.message.id);
    expect(again.message.message.text).toBe('message 1');
    const other = await inbox.store(message('1', { chatId: '43' }));
    expect(other.duplicate).toBe(false);
    const count = await env.database.db
      .selectFrom('inbound_messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  it.each([
    [{ channel: '' }, 'channel'],
    [{ sentAt: 'yesterday' }, 'sentAt'],
    [{ sender: { name: 'x' } }, 'sender.id'],
    [{ surprise: true }, ''],
  ])('refuses bad input %j with a typed error and stores nothing', async (override, path) => {
    const error = await inbox.store({ ...message('1'), ...override }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InboundValidationError);
    expect((error as InboundValidationError).issues[0]?.path).toBe(path);
    expect(await inbox.get(1)).toBeUndefined();
  });

  it('refuses a non-object', async () => {
    await expect(inbox.store('hello')).rejects.toBeInstanceOf(InboundValidationError);
  });
});

describe('status transitions', () => {
  async function queued(id: string) {
    const { message: stored } = await inbox.store(message(id));
    await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' });
    return stored.id;
  }

  it('assigns only once, from received', async () => {
    const { message: stored } = await inbox.store(message('1'));
    expect(await inbox.assign(stored.id, { groupId: 'grp', status: 'context' })).toBe(true);
    expect(await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' })).toBe(false);
    expect((await inbox.get(stored.id))?.status).toBe('context');
  });

  it('queued → processing (counting tries) → done; a finished turn cannot be claimed again', async () => {
    const id = await queued('1');
    expect((await inbox.markProcessing([id])).map((m) => [m.status, m.tries])).toEqual([['processing', 1]]);
    expect((await inbox.markProcessing([id]))[0]?.tries).toBe(2);
    await inbox.markDone([id]);
    expect((await inbox.get(id))?.status).toBe('done');
    expect(await inbox.markProcessing([id])).toEqual([]);
    await inbox.markFailed([id], 'late failure');
    expect((await inbox.get(id))?.status).toBe('done');
  });

  it('processing → failed keeps the error', async () => {
    const id = await queued('1');
    await inbox.markProcessing([id]);
    await inbox.markFailed([id], 'dead-lettered');
    expect(await inbox.get(id)).toMatchObject({ status: 'failed', lastError: 'dead-lettered' });
  });

  it('context messages are never claimed', async () => {
    const { message: stored } = await inbox.store(message('1'));
    await inbox.assign(stored.id, { groupId: 'grp', status: 'context' });
    expect(await inbox.markProcessing([stored.id])).toEqual([]);
  });
});

describe('recover', () => {
  it('requeues processing messages, returns unrouted ones and one turn per chat and thread', async () => {
    const ids: number[] = [];
    for (const [id, chatId, threadId] of [
      ['1', '42', undefined],
      ['2', '42', undefined],
      ['3', '42', 't1'],
      ['4', '99', undefined],
    ] as const) {
      const { message: stored } = await inbox.store(
        message(id, { chatId, ...(threadId ? { threadId } : {}) }),
      );
      await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' });
      ids.push(stored.id);
    }
    await inbox.markProcessing([ids[0] ?? 0]);
    await inbox.markDone([ids[3] ?? 0]);
    const unrouted = await inbox.store(message('5'));

    const recovery = await inbox.recover();

    expect(recovery.unrouted.map((m) => m.id)).toEqual([unrouted.message.id]);
    expect(recovery.turns).toEqual([
      {
        groupId: 'grp',
        chat: { channel: 'telegram', accountId: 'default', chatId: '42' },
        messageIds: [ids[0], ids[1]],
        sessionKey: 'main',
      },
      {
        groupId: 'grp',
        chat: { channel: 'telegram', accountId: 'default', chatId: '42', threadId: 't1' },
        messageIds: [ids[2]],
        sessionKey: 'thread:telegram:default:42:t1',
      },
    ]);
    expect((await inbox.get(ids[0] ?? 0))?.status).toBe('queued');
  });

  it('fails queued messages whose group was removed', async () => {
    const { message: stored } = await inbox.store(message('1'));
    await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' });
    await env.database.db.deleteFrom('agent_groups').execute();
    const recovery = await inbox.recover();
    expect(recovery.turns).toEqual([]);
    expect(await inbox.get(stored.id)).toMatchObject({
      status: 'failed',
      lastError: 'its group was removed',
    });
  });
});

describe('pendingContext', () => {
  it('returns unanswered context of the same chat and thread since the last answered message', async () => {
    const add = async (id: string, status: 'context' | 'done' | 'failed' | 'queued', extra = {}) => {
      const { message: stored } = await inbox.store(message(id, extra));
      await inbox.assign(stored.id, { groupId: 'grp', status: status === 'context' ? 'context' : 'queued' });
      if (status === 'done') await inbox.markDone([stored.id]);
      if (status === 'failed') await inbox.markFailed([stored.id], 'x');
      return stored.id;
    };
    await add('1', 'context');
    await add('2', 'done');
    const c3 = await add('3', 'context');
    const f4 = await add('4', 'failed');
    await add('5', 'context', { chatId: 'other' });
    await add('6', 'context', { threadId: 'th' });
    const c7 = await add('7', 'context');
    const turn = await add('8', 'queued');
    await add('9', 'context');

    const chat = { channel: 'telegram', accountId: 'default', chatId: '42' };
    const context = await inbox.pendingContext({ groupId: 'grp', chat, beforeId: turn, limit: 50 });
    expect(context.map((m) => m.id)).toEqual([c3, f4, c7]);
    const capped = await inbox.pendingContext({ groupId: 'grp', chat, beforeId: turn, limit: 2 });
    expect(capped.map((m) => m.id)).toEqual([f4, c7]);
    const inThread = await inbox.pendingContext({
      groupId: 'grp',
      chat: { ...chat, threadId: 'th' },
      beforeId: 100,
      limit: 50,
    });
    expect(inThread.map((m) => m.message.platformMessageId)).toEqual(['6']);
  });
});

describe('across a restart (database file)', () => {
  it('a turn left processing by a crash is found again after reopening', async () => {
    const file = `${env.root}/host.db`;
    const first = await openDatabase({ path: file });
    const registry = createGroupRegistry({ db: first.db, groupsDir: env.groupsDir, generateId: () => 'grp' });
    await registry.add({ folder: 'family' });
    const before = createInbox(first.db);
    const { message: stored } = await before.store(message('1'));
    await before.assign(stored.id, { groupId: 'grp', status: 'queued' });
    await before.markProcessing([stored.id]);
    await first.close();

    const second = await openDatabase({ path: file });
    try {
      const after = createInbox(second.db);
      expect((await after.store(message('1'))).duplicate).toBe(true);
      const recovery = await after.recover();
      expect(recovery.turns.map((t) => t.messageIds)).toEqual([[stored.id]]);
      expect((await after.markProcessing([stored.id]))[0]?.tries).toBe(2);
    } finally {
      await second.close();
    }
  });
});
