import type { InboundMessageInput } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFamilyEnv, createRecordingLogger, type TestEnv } from '../groups/test-support.js';
import { createInbox, type Inbox } from './inbox.js';
import { createInboundRouter, type InboundRouter } from './route-inbound.js';
import { buildTurnPrompt } from './turn-prompt.js';

let env: TestEnv;
let inbox: Inbox;
let router: InboundRouter;
let seq = 0;

beforeEach(async () => {
  const family = await createFamilyEnv({ channel: 'telegram', accountId: 'default', chatId: '42' });
  env = family.env;
  const { registry } = family;
  inbox = createInbox(env.database.db);
  router = createInboundRouter({ inbox, registry, assistantName: 'Andy', logger: createRecordingLogger() });
  seq = 0;
});
afterEach(() => env.cleanup());

async function say(name: string, text: string, minute: number, extra: Partial<InboundMessageInput> = {}) {
  seq += 1;
  const { message } = await inbox.store({
    channel: 'telegram',
    chatId: '42',
    platformMessageId: `p${seq}`,
    sender: { id: name.toLowerCase(), name },
    text,
    sentAt: `2026-11-24T09:${String(minute).padStart(2, '0')}:00Z`,
    ...extra,
  });
  return router.route(message);
}

async function turnIds(outcome: Awaited<ReturnType<typeof say>>) {
  if (outcome.kind !== 'turn') throw new Error(`expected a turn, got ${outcome.kind}`);
  return outcome.turn;
}

describe('buildTurnPrompt', () => {
  it('includes pending context since the last answered turn, and not after it', async () => {
    await say('Bob', 'old chatter', 0);
    const first = await turnIds(await say('Alice', '@Andy first question', 1));
    await inbox.markProcessing(first.messageIds);
    await inbox.markDone(first.messageIds);
    await say('Bob', 'pizza or sushi?', 2);
    await say('Carol', 'sushi', 3);
    const second = await turnIds(await say('Alice', '@Andy order what they said', 4));
    await say('Bob', 'typed after the trigger', 5);

    const prompt = await buildTurnPrompt({ inbox, timezone: 'Europe/London' }, second);

    expect(prompt.text).toBe(
      [
        '<context>',
        '<message from="Bob" at="2026-11-24 09:02 +00:00">pizza or sushi?</message>',
        '<message from="Carol" at="2026-11-24 09:03 +00:00">sushi</message>',
        '</context>',
        '<messages>',
        '<message from="Alice" at="2026-11-24 09:04 +00:00">@Andy order what they said</message>',
        '</messages>',
      ].join('\n'),
    );
    expect(prompt.messages.map((m) => m.id)).toEqual(second.messageIds);
    expect(prompt.context).toHaveLength(2);
  });

  it('quotes the stored text of the message replied to when the platform did not send it', async () => {
    await say('Bob', 'the wifi password is on the fridge', 0);
    const turn = await turnIds(
      await say('Alice', '@Andy what did he mean?', 1, {
        replyTo: { platformMessageId: 'p1', senderName: 'Bob' },
      }),
    );
    const prompt = await buildTurnPrompt({ inbox, timezone: 'UTC' }, turn);
    expect(prompt.text).toContain(
      '<quote from="Bob">the wifi password is on the fridge</quote>@Andy what did he mean?',
    );
  });

  it('returns the attachments of the turn messages', async () => {
    const attachment = { name: 'a.png', mimeType: 'image/png', sizeBytes: 3, ref: 'tg:file:1' };
    const turn = await turnIds(await say('Alice', '@Andy look', 0, { attachments: [attachment] }));
    expect((await buildTurnPrompt({ inbox, timezone: 'UTC' }, turn)).attachments).toEqual([attachment]);
  });

  it('shows the fetched files of the turn messages, and only names those of context messages', async () => {
    const attachment = { name: 'a.png', mimeType: 'image/png', sizeBytes: 3, ref: 'tg:file:1' };
    await say('Bob', 'earlier photo', 0, { attachments: [attachment] });
    const turn = await turnIds(await say('Alice', '@Andy look', 1, { attachments: [attachment] }));
    const [own] = turn.messageIds;
    const saved = {
      ok: true as const,
      attachment: { ...attachment, ref: 'inbox/2026-11-24/p2-a.png' },
      originalName: 'a.png',
      sandboxPath: '/workspace/group/inbox/2026-11-24/p2-a.png',
      hostPath: '/srv/groups/family/inbox/2026-11-24/p2-a.png',
    };
    const media = new Map([[own ?? 0, [saved]]]);
    const { text } = await buildTurnPrompt({ inbox, timezone: 'UTC', media }, turn);
    expect(text).toContain('earlier photo<attachment name="a.png" type="image/png" size="3"/>');
    expect(text).toContain(
      '@Andy look<attachment name="a.png" type="image/png" size="3" path="/workspace/group/inbox/2026-11-24/p2-a.png"/>',
    );
  });
});
