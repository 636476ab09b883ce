import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TurnInput } from '@nanoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFamilyEnv,
  createRecordingLogger,
  type LogLine,
  type TestEnv,
  telegramMessage,
} from '../groups/test-support.js';
import { createInbox, type Inbox, type Turn, turnOf } from '../routing/index.js';
import { followUp, type WorkerDeps } from './worker.js';

/**
 * `followUp` is called with `void` for each message pushed into a running turn: it must never reject. A follow-up
 * the run cannot take (the runner died, the run ended, the database failed) goes back to the queue, once.
 */

let env: TestEnv;
let inbox: Inbox;
let lines: LogLine[];
let requeued: Turn[];
let deps: WorkerDeps;

/** A stored, routed (queued) message's turn. */
async function queuedTurn(id: string): Promise<Turn> {
  const { message: stored } = await inbox.store(telegramMessage(id));
  await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' });
  return turnOf('grp', [stored]);
}

beforeEach(async () => {
  ({ env } = await createFamilyEnv());
  inbox = createInbox(env.database.db);
  lines = [];
  requeued = [];
  deps = {
    inbox,
    timezone: 'UTC',
    logger: createRecordingLogger(lines),
    requeue: (turn: Turn) => requeued.push(turn),
  } as unknown as WorkerDeps;
});
afterEach(() => env.cleanup());

describe('a follow-up pushed into a running turn', () => {
  it('joins the run when the runner takes it', async () => {
    const active = await queuedTurn('1');
    const next = await queuedTurn('2');
    const pending = [{ turn: active, inReplyTo: ['1'] }];
    const pushed: string[] = [];
    await followUp(deps, next, active, async (input) => pushed.push(input.text) > 0, pending);
    expect(pushed).toHaveLength(1);
    expect(pending.map((p) => p.inReplyTo)).toEqual([['1'], ['2']]);
    expect(requeued).toEqual([]);
  });

  it('the runner died (push rejects): resolves, and the follow-up is queued again, out of the pending list', async () => {
    const active = await queuedTurn('1');
    const next = await queuedTurn('2');
    const pending = [{ turn: active, inReplyTo: ['1'] }];
    await expect(
      followUp(
        deps,
        next,
        active,
        async () => {
          throw new Error('the runner exited');
        },
        pending,
      ),
    ).resolves.toBeUndefined();
    expect(requeued).toEqual([next]);
    expect(pending).toHaveLength(1);
    expect(lines.map((line) => line.message)).toContain('the running turn did not take a follow-up');
  });

  it('the run ended (push returns false): queued again', async () => {
    const active = await queuedTurn('1');
    const next = await queuedTurn('2');
    const pending = [{ turn: active, inReplyTo: ['1'] }];
    await followUp(deps, next, active, async () => false, pending);
    expect(requeued).toEqual([next]);
    expect(pending).toHaveLength(1);
  });

  it("the run's end already queued it again: not queued twice", async () => {
    const active = await queuedTurn('1');
    const next = await queuedTurn('2');
    const pending = [{ turn: active, inReplyTo: ['1'] }];
    await followUp(
      deps,
      next,
      active,
      async () => {
        pending.splice(1); // what the run's end does before it requeues what it took
        throw new Error('the runner exited');
      },
      pending,
    );
    expect(requeued).toEqual([]);
  });

  it('the database fails: resolves, queued again, the error logged', async () => {
    const active = await queuedTurn('1');
    const next = await queuedTurn('2');
    await env.database.close();
    await expect(followUp(deps, next, active, async () => true, [])).resolves.toBeUndefined();
    expect(requeued).toEqual([next]);
    expect(lines.find((line) => line.level === 'warn')?.message).toBe(
      'a follow-up could not join the running turn; queued again',
    );
  });

  it('another chat or session: queued, not pushed', async () => {
    const active = await queuedTurn('1');
    const next = { ...(await queuedTurn('2')), sessionKey: 'thread:x' };
    let pushes = 0;
    await followUp(deps, next, active, async () => ++pushes > 0, []);
    expect(pushes).toBe(0);
    expect(requeued).toEqual([next]);
  });
});

describe('a follow-up with a file', () => {
  it('fetches it into the group inbox and pushes its path and the file into the run', async () => {
    const groupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-up-media-'));
    try {
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
      const active = await queuedTurn('1');
      const { message: stored } = await inbox.store(
        telegramMessage('2', {
          attachments: [{ name: 'p.png', mimeType: 'image/png', sizeBytes: png.length, ref: 'f2' }],
        }),
      );
      await inbox.assign(stored.id, { groupId: 'grp', status: 'queued' });
      const next = turnOf('grp', [stored]);
      const pushed: TurnInput[] = [];
      const media = {
        adapters: { get: () => ({ downloadAttachment: async () => png }) as never },
        groupsDir,
        maxMb: 20,
        hostPaths: () => false,
      };
      await followUp(
        { ...deps, media, outbox: { enqueue: async () => ({}) as never } },
        next,
        active,
        async (input) => pushed.push(input) > 0,
        [{ turn: active, inReplyTo: ['1'] }],
        { group: { id: 'grp', folder: 'family' }, signal: new AbortController().signal },
      );
      const ref = 'inbox/2026-11-24/2-p.png';
      expect(pushed).toEqual([
        {
          text: expect.stringContaining(
            `type="image/png" size="${png.length}" path="/workspace/group/${ref}"`,
          ),
          attachments: [{ name: '2-p.png', mimeType: 'image/png', sizeBytes: png.length, ref }],
        },
      ]);
      expect(fs.readFileSync(path.join(groupsDir, 'family', ref))).toEqual(png);
    } finally {
      fs.rmSync(groupsDir, { recursive: true, force: true });
    }
  });
});
