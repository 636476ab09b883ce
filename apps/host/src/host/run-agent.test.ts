import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import { openDatabase } from '@nanoclaw/db';
import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../host-api.js';
import { useCleanups } from './test-utils/cleanups.js';
import { runnerPids, startTestHost, until, type WatchedHost, watchHost } from './test-utils/e2e-host.js';

/**
 * A turn that ends because its sandbox was told to stop is never taken for an answer: the message is not marked
 * done, no reply is written, and another try (now, or after the restart) answers it exactly once. The mock agent
 * runs in the process runtime, so the test can signal its runner like a terminal or `docker stop` would.
 */

const cleanups = useCleanups();

const scratch = () => cleanups.scratch('nanoclaw-run-stop');

async function start(root: string, drainMs?: number): Promise<WatchedHost> {
  const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
  const started = await startTestHost(root, runtime, {}, drainMs === undefined ? {} : { drainMs });
  return watchHost(started, 'main', cleanups);
}

const about = (events: HostEvent[], type: HostEvent['type'], messageId: string) =>
  events.filter((e) => e.type === type && 'inReplyTo' in e && e.inReplyTo.includes(messageId));

/** The status of an inbound message and the replies written that quote `text`, read from the database file. */
async function stored(
  root: string,
  messageId: string,
  text: string,
): Promise<{ status: string; replies: number }> {
  const handle = await openDatabase({ path: path.join(root, 'data', 'nanoclaw.db'), migrate: false });
  try {
    const row = await handle.db
      .selectFrom('inbound_messages')
      .select('status')
      .where('platform_message_id', '=', messageId)
      .executeTakeFirstOrThrow();
    const replies = await handle.db
      .selectFrom('outbound_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('text', 'like', `%${text}%`)
      .executeTakeFirstOrThrow();
    return { status: row.status, replies: Number(replies.n) };
  } finally {
    await handle.close();
  }
}

describe('a turn whose sandbox is told to stop', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the runner mid-turn: not a successful run; the turn runs again and is answered once`, async () => {
      const root = scratch();
      const { client, events } = await start(root);
      const marker = `stop me (${signal})`;
      const posted = await client.postMessage('main', { text: `/sleep 3000\n${marker}` });
      await until(() => about(events, 'run-start', posted.messageId).length === 1, 30_000);
      await until(() => runnerPids().length === 1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // run/start reached the runner
      const [runner] = runnerPids();
      process.kill(runner ?? 0, signal);
      await until(() => !runnerPids().includes(runner ?? 0), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Before the retry: no answer of any kind, and the message is still open.
      expect(await stored(root, posted.messageId, marker)).toEqual({ status: 'processing', replies: 0 });
      expect(about(events, 'reply', posted.messageId)).toEqual([]);
      expect(events.filter((e) => e.type === 'run-end')).toEqual([]);

      await until(() => about(events, 'reply', posted.messageId).length > 0, 30_000);
      expect(about(events, 'run-start', posted.messageId)).toHaveLength(2);
      expect(about(events, 'reply', posted.messageId).map((e) => (e.type === 'reply' ? e.text : ''))).toEqual(
        [`Mock reply to: ${marker}`],
      );
      expect(await stored(root, posted.messageId, marker)).toEqual({ status: 'done', replies: 1 });
    }, 60_000);
  }

  it('stopped by the host past its drain deadline: not marked done, and the next start answers it once', async () => {
    const root = scratch();
    const first = await start(root, 300);
    const marker = 'in flight';
    const posted = await first.client.postMessage('main', { text: `/sleep 3000\n${marker}` });
    await until(() => about(first.events, 'run-start', posted.messageId).length === 1, 30_000);
    await until(() => runnerPids().length === 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.host.stop();
    expect(await stored(root, posted.messageId, marker)).toEqual({ status: 'processing', replies: 0 });
    expect(about(first.events, 'reply', posted.messageId)).toEqual([]);

    await start(root);
    await until(async () => (await stored(root, posted.messageId, marker)).status === 'done', 30_000);
    expect(await stored(root, posted.messageId, marker)).toEqual({ status: 'done', replies: 1 });
  }, 60_000);
});
