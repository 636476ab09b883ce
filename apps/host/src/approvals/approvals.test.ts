import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestEnv, type TestEnv } from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { encodeCardData } from './card-data.js';
import { type ApprovalsWorld, createApprovalsWorld, fakeAdapter } from './test-world.js';

const env = perTest(createTestEnv);
let world: ApprovalsWorld;
let telegram: ReturnType<typeof fakeAdapter>;

beforeEach(async () => {
  telegram = fakeAdapter('telegram', { cards: true });
  world = await createApprovalsWorld(env, [telegram.adapter]);
  await world.parts.people.add({ userId: 'telegram:1', role: 'owner', actor: 'cli' });
  await world.registry.setAccess('family', 'request');
});
const extraEnvs: TestEnv[] = [];
afterEach(async () => {
  world.parts.approvals.stop();
  for (const extra of extraEnvs.splice(0)) await extra.cleanup();
});
/** A second world's own database and folders, removed after the test. */
const anotherEnv = async () => {
  const extra = await createTestEnv();
  extraEnvs.push(extra);
  return extra;
};

const cardRows = async () => (await world.outbox.list()).filter((r) => r.message.buttons);
const tap = (data: string, userId: string, chatId = 'dm-1') =>
  world.parts.approvals.handleTap({
    channel: 'telegram',
    accountId: 'default',
    chatId,
    platformActionId: `tap-${Math.random()}`,
    user: { id: userId },
    data,
  });
const auditActions = async () =>
  (await world.parts.audit.list()).map((e) => `${e.kind}:${e.action}:${e.actor}`);

async function strangerRequest() {
  const outcome = await world.receive({ senderId: '999', text: '@Andy hello, may I join?' });
  if (outcome.kind !== 'held') throw new Error(`expected held, got ${outcome.kind}`);
  return outcome.approvalId;
}

describe('access requests', () => {
  it('hold a stranger’s messages and send one card with two buttons to the owner’s direct chat', async () => {
    const id = await strangerRequest();
    expect((await world.receive({ senderId: '999', text: '@Andy are you there?' })).kind).toBe('held');
    const [card, ...more] = await cardRows();
    expect(more).toEqual([]);
    expect(card?.message).toMatchObject({ channel: 'telegram', chatId: 'dm-1' });
    expect(card?.message.text).toContain('telegram:999');
    expect(card?.message.text).toContain('hello, may I join?');
    expect(card?.message.buttons).toEqual([
      { label: 'Approve', data: encodeCardData(id, 1) },
      { label: 'Reject', data: encodeCardData(id, 2) },
    ]);
    expect(world.turns).toEqual([]);
  });

  it('approved by the owner’s tap: the stranger becomes a member and the held messages are answered', async () => {
    const id = await strangerRequest();
    await world.receive({ senderId: '999', text: '@Andy and another' });
    const result = await tap(encodeCardData(id, 1), '1');
    expect(result).toEqual({
      accepted: true,
      text: expect.stringContaining('telegram:999 is now a member of family'),
    });
    expect(world.turns).toHaveLength(2);
    expect(await world.parts.people.mayTalk('telegram:999', world.family.id)).toBe(true);
    expect((await world.receive({ senderId: '999', text: '@Andy thanks' })).kind).toBe('turn');
    expect(await auditActions()).toEqual(
      expect.arrayContaining(['approval:approved:telegram:1', 'gate:held:telegram:999']),
    );
  });

  it('rejected: nothing is answered, the messages stay rejected, and the audit names who rejected', async () => {
    const id = await strangerRequest();
    expect((await tap(encodeCardData(id, 2), '1')).accepted).toBe(true);
    expect(world.turns).toEqual([]);
    const [message] = await world.inbox.getMany([1]);
    expect(message?.status).toBe('rejected');
    expect(await auditActions()).toContain('approval:rejected:telegram:1');
    expect(await world.parts.people.mayTalk('telegram:999', world.family.id)).toBe(false);
  });

  it('refuses forged data, a replayed tap, a tap by someone else and an expired card, changing nothing', async () => {
    const id = await strangerRequest();
    expect(await tap('nc1:zzzzzzzzzz:1', '1')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/does not belong/),
    });
    expect(await tap('hello', '1')).toMatchObject({ accepted: false });
    expect(await tap(encodeCardData(id, 7), '1')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/does not exist/),
    });
    expect(await tap(encodeCardData(id, 1), '999')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/not the person asked/),
    });
    expect(await tap(encodeCardData(id, 1), '1', 'fam')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/not sent to this chat/),
    });
    expect(world.turns).toEqual([]);
    expect((await world.parts.approvals.store.get(id))?.status).toBe('pending');
    expect((await tap(encodeCardData(id, 2), '1')).accepted).toBe(true);
    expect(await tap(encodeCardData(id, 1), '1')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/already rejected by telegram:1/),
    });
    expect((await world.parts.approvals.store.get(id))?.status).toBe('rejected');
    const refusals = (await world.parts.audit.list()).filter((e) => e.action === 'refused');
    expect(refusals.map((e) => e.detail.reason)).toEqual([
      'replay',
      'wrong-chat',
      'not-allowed',
      'bad-option',
      'unknown-card',
      'unknown-card',
    ]);
  });

  it('an expired card is refused and its held messages are dropped', async () => {
    const id = await strangerRequest();
    await env.database.db
      .updateTable('approvals')
      .set({ expires_at: Date.now() - 1 })
      .execute();
    expect(await tap(encodeCardData(id, 1), '1')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/expired/),
    });
    expect((await world.parts.approvals.store.get(id))?.status).toBe('expired');
    expect((await world.inbox.getMany([1]))[0]?.status).toBe('rejected');
  });

  it('survive a restart: a new composition decides the card the old one sent', async () => {
    const id = await strangerRequest();
    world.parts.approvals.stop();
    const restarted = world.restart();
    await restarted.approvals.start();
    const result = await restarted.approvals.handleTap({
      channel: 'telegram',
      accountId: 'default',
      chatId: 'dm-1',
      platformActionId: 't',
      user: { id: '1' },
      data: encodeCardData(id, 1),
    });
    restarted.approvals.stop();
    expect(result.accepted).toBe(true);
    expect(world.turns).toHaveLength(1);
  });

  it('decided from the CLI (`cli`), refused a second time with who decided', async () => {
    const id = await strangerRequest();
    const decided = await world.parts.approvals.decide(id, 'approve', 'cli');
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'cli' });
    expect(world.turns).toHaveLength(1);
    await expect(world.parts.approvals.decide(id, 'reject', 'cli')).rejects.toThrow(
      /already approved by cli/,
    );
    await expect(world.parts.approvals.decide('nope', 'reject', 'cli')).rejects.toThrow(/no approval nope/);
  });

  it('go to a group admin before the owner, and to the owner when the admin cannot be reached', async () => {
    await world.parts.people.add({ userId: 'telegram:5', role: 'admin', group: 'family', actor: 'cli' });
    await strangerRequest();
    expect((await cardRows())[0]?.message.chatId).toBe('dm-5');
    const unreachable = fakeAdapter('telegram', { cards: true, unreachable: ['5'] });
    const second = await createApprovalsWorld(await anotherEnv(), [unreachable.adapter]);
    await second.parts.people.add({ userId: 'telegram:1', role: 'owner', actor: 'cli' });
    await second.parts.people.add({ userId: 'telegram:5', role: 'admin', group: 'family', actor: 'cli' });
    await second.registry.setAccess('family', 'request');
    await second.receive({ senderId: '999', text: 'hi' });
    expect((await second.outbox.list()).find((r) => r.message.buttons)?.message.chatId).toBe('dm-1');
    second.parts.approvals.stop();
  });

  it('with nobody reachable stay pending and audited as undelivered', async () => {
    await world.parts.people.remove({ userId: 'telegram:1', actor: 'cli' });
    await world.parts.people.add({ userId: 'local:owner', role: 'owner', actor: 'cli' });
    const id = await strangerRequest();
    expect(await cardRows()).toEqual([]);
    expect(await auditActions()).toContain('approval:undelivered:host');
    expect((await world.parts.approvals.decide(id, 'approve', 'cli')).status).toBe('approved');
  });
});

describe('numbered replies', () => {
  it('answer a card the person asked reads as a list; other texts and other people pass through', async () => {
    const whatsapp = fakeAdapter('whatsapp', { cards: false });
    const numbered = await createApprovalsWorld(await anotherEnv(), [whatsapp.adapter]);
    await numbered.parts.people.add({ userId: 'whatsapp:1', role: 'owner', actor: 'cli' });
    await numbered.registry.setAccess('family', 'request');
    const held = await numbered.receive({ senderId: '999', text: '@Andy hi' });
    expect(held.kind).toBe('held');
    const dm = { channel: 'whatsapp', chatId: 'dm-1' };
    expect((await numbered.receive({ ...dm, senderId: '2', text: '1' })).kind).toBe('ignored');
    expect((await numbered.receive({ ...dm, senderId: '1', text: 'what is this?' })).kind).toBe('ignored');
    expect((await numbered.receive({ ...dm, senderId: '1', text: ' 1 ' })).kind).toBe('answer');
    expect(numbered.turns).toHaveLength(1);
    const note = (await numbered.outbox.list()).find((r) => r.idempotencyKey.endsWith(':reply'));
    expect(note?.message.text).toMatch(/Approved by whatsapp:1/);
    numbered.parts.approvals.stop();
  });
});

describe('members mode', () => {
  it('drops a stranger’s message and audits it; members and the owner get through', async () => {
    await world.registry.setAccess('family', 'members');
    expect((await world.receive({ senderId: '999', text: '@Andy hi' })).kind).toBe('dropped');
    expect((await world.receive({ senderId: '1', text: '@Andy hi' })).kind).toBe('turn');
    await world.parts.people.add({ userId: 'telegram:7', role: 'member', group: 'family', actor: 'cli' });
    expect((await world.receive({ senderId: '7', text: '@Andy hi' })).kind).toBe('turn');
    expect(await cardRows()).toEqual([]);
    expect(await auditActions()).toContain('gate:dropped:telegram:999');
    const stored = await world.inbox.getMany([1]);
    expect(stored[0]?.status).toBe('dropped');
  });
});

describe('questions', () => {
  const ask = (timeoutMs: number, askedUser: string | null = 'telegram:7') =>
    world.parts.approvals.ask({
      group: world.family,
      chat: { channel: 'telegram', accountId: 'default', chatId: 'fam' },
      question: 'Tea or coffee?',
      options: ['Tea', 'Coffee'],
      timeoutMs,
      askedUser,
      runId: 'run-1',
    });

  it('go to the run’s chat as a card; only the asked person’s tap answers', async () => {
    const outcome = ask(60_000);
    await vi.waitFor(async () => expect(await cardRows()).toHaveLength(1));
    const [card] = await cardRows();
    expect(card?.message).toMatchObject({ chatId: 'fam', buttons: [{ label: 'Tea' }, { label: 'Coffee' }] });
    const coffee = card?.message.buttons?.[1]?.data ?? '';
    expect(await tap(coffee, '8', 'fam')).toMatchObject({
      accepted: false,
      text: expect.stringMatching(/not the person asked/),
    });
    expect(await tap(coffee, '7', 'fam')).toMatchObject({
      accepted: true,
      text: expect.stringMatching(/Coffee/),
    });
    expect(await outcome).toEqual({ answered: true, option: 2, label: 'Coffee', by: 'telegram:7' });
  });

  it('time out on time even when a later request expires much later', async () => {
    const outcome = ask(300);
    await vi.waitFor(async () => expect(await cardRows()).toHaveLength(1));
    await strangerRequest();
    const started = Date.now();
    expect(await outcome).toEqual({ answered: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await auditActions()).toContain('question:expired:host');
  });
});
