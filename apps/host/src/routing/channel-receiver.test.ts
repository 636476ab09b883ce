import type { InboundMessageInput } from '@nanoclaw/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGroupRegistry } from '../groups/group-registry.js';
import { createRecordingLogger, createTestEnv, type RecordingLogger } from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { type ChannelReceiver, createChannelReceiver } from './channel-receiver.js';
import { createInbox, InboundValidationError, type Inbox } from './inbox.js';
import { createInboundRouter, type RouteOutcome } from './route-inbound.js';
import type { Turn } from './turn.js';

const env = perTest(createTestEnv);
let inbox: Inbox;
let receiver: ChannelReceiver;
let logger: RecordingLogger;
let turns: Turn[];
let outcomes: RouteOutcome[];
let failRouting = false;

const input = (id: string, text = '@Andy hi'): InboundMessageInput => ({
  channel: 'telegram',
  chatId: '42',
  platformMessageId: id,
  sender: { id: 'alice' },
  text,
  sentAt: '2026-11-24T09:00:00Z',
});

beforeEach(async () => {
  const registry = createGroupRegistry({ db: env.database.db, groupsDir: env.groupsDir });
  await registry.add({
    folder: 'family',
    chat: { ref: { channel: 'telegram', accountId: 'default', chatId: '42' } },
  });
  inbox = createInbox(env.database.db);
  logger = createRecordingLogger();
  turns = [];
  outcomes = [];
  failRouting = false;
  const router = createInboundRouter({ inbox, registry, assistantName: 'Andy', logger });
  receiver = createChannelReceiver({
    inbox,
    router: {
      route: (stored) => (failRouting ? Promise.reject(new Error('disk full')) : router.route(stored)),
    },
    onTurn: (turn) => {
      turns.push(turn);
    },
    onOutcome: (outcome) => {
      outcomes.push(outcome);
    },
    logger,
  });
});

describe('createChannelReceiver', () => {
  it('tells the adapter when no group serves a message, so it can leave it as it found it', async () => {
    expect(await receiver.receive({ ...input('9'), chatId: '77' })).toEqual({
      duplicate: false,
      ignored: true,
    });
    expect(turns).toEqual([]);
  });

  it('stores, routes and hands out a turn once; a redelivery is a no-op', async () => {
    expect(await receiver.receive(input('1'))).toEqual({ duplicate: false });
    expect(await receiver.receive(input('1'))).toEqual({ duplicate: true });
    expect(turns).toHaveLength(1);
    expect(outcomes.map((o) => o.kind)).toEqual(['turn']);
  });

  it('reports context messages without a turn', async () => {
    const result = await receiver.receiveDetailed(input('1', 'no trigger here'));
    expect(result.outcome).toMatchObject({ kind: 'context', reason: 'no-trigger' });
    expect(turns).toEqual([]);
  });

  it('drops (and logs) an invalid message so the adapter can acknowledge it; receiveDetailed rejects', async () => {
    expect(await receiver.receive({ ...input('1'), sentAt: 'nope' })).toEqual({ duplicate: false });
    expect(logger.lines.some((l) => l.level === 'warn' && /invalid inbound/.test(l.message))).toBe(true);
    await expect(receiver.receiveDetailed({ nope: 1 })).rejects.toBeInstanceOf(InboundValidationError);
  });

  it('a routing failure leaves the message received for start-up recovery', async () => {
    failRouting = true;
    expect(await receiver.receive(input('1'))).toEqual({ duplicate: false });
    const recovery = await inbox.recover();
    expect(recovery.unrouted.map((m) => m.message.platformMessageId)).toEqual(['1']);
  });
});
