import fs from 'node:fs';
import path from 'node:path';
import type { InboundMessageInput } from '@nanoclaw/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGroupRegistry, type GroupRegistry } from '../groups/group-registry.js';
import {
  createRecordingLogger,
  createTestEnv,
  type RecordingLogger,
  telegramChat,
} from '../groups/test-support.js';
import { perTest } from '../host/test-utils/cleanups.js';
import { createInbox, type Inbox } from './inbox.js';
import { createInboundRouter, type InboundRouter, type RouteOutcome } from './route-inbound.js';

const env = perTest(createTestEnv);
let registry: GroupRegistry;
let inbox: Inbox;
let router: InboundRouter;
let logger: RecordingLogger;
let seq = 0;

beforeEach(async () => {
  logger = createRecordingLogger();
  registry = createGroupRegistry({ db: env.database.db, groupsDir: env.groupsDir });
  await registry.add({ folder: 'main', isMain: true, chat: { ref: telegramChat('main-chat') } });
  await registry.add({
    folder: 'family',
    chat: { ref: telegramChat('fam'), senderAllowlist: ['alice', 'bob'] },
  });
  await registry.add({ folder: 'ops', trigger: '^!ops\\b', chat: { ref: telegramChat('ops') } });
  await registry.add({ folder: 'open', chat: { ref: telegramChat('open') } });
  inbox = createInbox(env.database.db);
  router = createInboundRouter({ inbox, registry, assistantName: 'Andy', logger });
  seq = 0;
});

async function route(chatId: string, text: string, overrides: Partial<InboundMessageInput> = {}) {
  seq += 1;
  const { message } = await inbox.store({
    channel: 'telegram',
    chatId,
    platformMessageId: String(seq),
    sender: { id: 'alice', name: 'Alice' },
    text,
    sentAt: '2026-11-24T09:00:00Z',
    ...overrides,
  });
  const outcome = await router.route(message);
  return { outcome, stored: await inbox.get(message.id) };
}

const kind = (outcome: RouteOutcome) => outcome.kind;
const groupId = async (folder: string) => (await registry.get(folder))?.id;

describe('routeInbound', () => {
  it('ignores an unbound chat, keeping the message with status ignored and a log line', async () => {
    const { outcome, stored } = await route('stranger', '@Andy hi');
    expect(outcome).toEqual({ kind: 'ignored', reason: 'unbound-chat' });
    expect(stored).toMatchObject({ status: 'ignored', groupId: null });
    expect(
      logger.lines.some(
        (l) => l.level === 'info' && l.message.includes('unbound chat telegram:default:stranger'),
      ),
    ).toBe(true);
  });

  it('answers every message in the main group without a trigger', async () => {
    const { outcome, stored } = await route('main-chat', 'what is on today?');
    expect(outcome).toEqual({
      kind: 'turn',
      turn: {
        groupId: await groupId('main'),
        chat: telegramChat('main-chat'),
        messageIds: [stored?.id],
        sessionKey: 'main',
      },
    });
    expect(stored).toMatchObject({ status: 'queued', groupId: await groupId('main') });
  });

  it.each([
    ['@Andy what time is it', true],
    ['hey @andy!', true],
    ['@ANDY', true],
    ['Andy, hi', false],
    ['@Andyman hi', false],
    ['me@Andy', false],
    ['just chatting', false],
  ])('default trigger: %j → %s', async (text, triggers) => {
    const { outcome, stored } = await route('open', text);
    expect(kind(outcome)).toBe(triggers ? 'turn' : 'context');
    expect(stored?.status).toBe(triggers ? 'queued' : 'context');
  });

  it("uses the group's own trigger regex instead of @Andy", async () => {
    expect(kind((await route('ops', '!ops deploy')).outcome)).toBe('turn');
    expect(kind((await route('ops', '!OPS deploy')).outcome)).toBe('turn');
    expect((await route('ops', '@Andy deploy')).outcome).toMatchObject({
      kind: 'context',
      reason: 'no-trigger',
    });
  });

  it('uses the container.json trigger when the group has none stored', async () => {
    fs.writeFileSync(
      path.join(env.groupsDir, 'open.container.json'),
      JSON.stringify({ trigger: '^hey bot' }),
    );
    expect(kind((await route('open', 'hey bot, hello')).outcome)).toBe('turn');
    expect(kind((await route('open', '@Andy hello')).outcome)).toBe('context');
  });

  it('triggers on a platform mention flagged by the adapter', async () => {
    expect(kind((await route('open', 'hi there', { mentionsAssistant: true })).outcome)).toBe('turn');
  });

  it('keeps messages from senders outside the allowlist as context, never a trigger', async () => {
    expect(kind((await route('fam', '@Andy hi', { sender: { id: 'bob' } })).outcome)).toBe('turn');
    const { outcome, stored } = await route('fam', '@Andy hi', { sender: { id: 'mallory', name: 'Mal' } });
    expect(outcome).toEqual({
      kind: 'context',
      groupId: await groupId('family'),
      reason: 'sender-not-allowed',
    });
    expect(stored?.status).toBe('context');
    expect(
      kind((await route('fam', 'x', { sender: { id: 'mallory' }, mentionsAssistant: true })).outcome),
    ).toBe('context');
  });

  it('applies the allowlist in the main group too, and never triggers on bots', async () => {
    await registry.bindChat(telegramChat('main-2'), 'main', { senderAllowlist: ['owner'] });
    expect((await route('main-2', 'hello')).outcome).toMatchObject({ reason: 'sender-not-allowed' });
    expect((await route('main-chat', '@Andy', { sender: { id: 'b', isBot: true } })).outcome).toMatchObject({
      kind: 'context',
      reason: 'from-bot',
    });
  });

  it('binds local:default:<folder> implicitly', async () => {
    const { outcome } = await route('family', '@Andy hi', { channel: 'local' });
    expect(outcome).toMatchObject({ kind: 'turn', turn: { groupId: await groupId('family') } });
  });

  it('runs a thread in its own session', async () => {
    const { outcome } = await route('open', '@Andy hi', { threadId: 't-9' });
    expect(outcome).toMatchObject({
      kind: 'turn',
      turn: {
        chat: { ...telegramChat('open'), threadId: 't-9' },
        sessionKey: 'thread:telegram:default:open:t-9',
      },
    });
  });

  it('a group with an invalid trigger regex is a config error for that group, not a crash', async () => {
    await env.database.db
      .updateTable('agent_groups')
      .set({ trigger: '(oops' })
      .where('folder', '=', 'ops')
      .execute();
    const broken = await route('ops', '@Andy help');
    expect(broken.outcome).toMatchObject({
      kind: 'config-error',
      folder: 'ops',
      addressed: true,
      error: { key: 'trigger' },
    });
    expect(broken.stored?.status).toBe('context');
    expect((await route('ops', 'chatter')).outcome).toMatchObject({ kind: 'config-error', addressed: false });
    expect(kind((await route('open', '@Andy still works')).outcome)).toBe('turn');
  });

  it('a group with a bad container.json keeps its messages and reports the error', async () => {
    fs.writeFileSync(path.join(env.groupsDir, 'open.container.json'), '{"netwrk":"none"}');
    const { outcome, stored } = await route('open', '@Andy hi');
    expect(outcome).toMatchObject({
      kind: 'config-error',
      addressed: true,
      error: { file: 'open.container.json', key: 'netwrk' },
    });
    expect(stored?.status).toBe('context');
  });

  it('routing the same message twice changes nothing', async () => {
    const { stored } = await route('open', '@Andy hi');
    if (!stored) throw new Error('not stored');
    expect(await router.route(stored)).toEqual({ kind: 'already-routed', status: 'queued' });
  });
});

describe('routeInbound with routing rules (Gmail from:/label: bindings)', () => {
  const mail = (overrides: Partial<InboundMessageInput>) =>
    route('thread-1', 'a mail', { channel: 'gmail', mentionsAssistant: true, ...overrides });
  const audited: unknown[] = [];
  beforeEach(async () => {
    audited.length = 0;
    router = createInboundRouter({
      inbox,
      registry,
      assistantName: 'Andy',
      logger,
      audit: { record: async (entry) => void audited.push(entry) },
    });
    await registry.add({
      folder: 'mail',
      chat: { ref: { channel: 'gmail', accountId: 'default', chatId: 'from:alice@example.com' } },
    });
    await registry.add({
      folder: 'support',
      chat: { ref: { channel: 'gmail', accountId: 'default', chatId: 'label:Support' } },
    });
  });

  it('serves a thread whose mail matches a bound from: rule in that rule’s group, replying to the thread', async () => {
    const { outcome } = await mail({
      sender: { id: 'alice@example.com' },
      routeKeys: ['from:alice@example.com'],
    });
    expect(outcome).toMatchObject({
      kind: 'turn',
      turn: { groupId: await groupId('mail'), chat: { channel: 'gmail', chatId: 'thread-1' } },
    });
  });

  it('takes the first bound rule the mail names (a label rule for anyone in the label)', async () => {
    const { outcome } = await mail({
      sender: { id: 'carol@example.com' },
      routeKeys: ['from:carol@example.com', 'label:Support'],
    });
    expect(outcome).toMatchObject({ kind: 'turn', turn: { groupId: await groupId('support') } });
  });

  it('drops and audits a mail that no bound rule matches', async () => {
    const { outcome, stored } = await mail({
      sender: { id: 'mallory@example.com' },
      routeKeys: ['from:mallory@example.com'],
    });
    expect(outcome).toEqual({ kind: 'ignored', reason: 'no-matching-rule' });
    expect(stored).toMatchObject({ status: 'dropped', groupId: null });
    expect(audited).toEqual([
      expect.objectContaining({
        kind: 'gate',
        action: 'dropped',
        actor: 'gmail:mallory@example.com',
        detail: expect.objectContaining({ reason: 'no-matching-rule', chat: 'gmail:default:thread-1' }),
      }),
    ]);
  });
});
