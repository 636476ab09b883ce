/**
 * kill -9 of the host at random points of a 1,000-message run (≥ 20 kills), agents in a real sandbox (bwrap)
 * with the mock provider. What the user must see: every message the host accepted (202) is answered, exactly
 * once; nothing accepted is lost.
 *
 * Each attempt to send carries a unique token (`[m-0042.1]`); the mock echoes the messages of its turn, so a reply
 * names every message it answers, even when the host batched several into one turn. A send cut off by a kill is
 * retried under a new token (a channel would redeliver; the HTTP API has no client-side idempotency key). Two views
 * of the replies are counted:
 * - the chat: `reply` events on the live event stream (re-subscribed after every restart); a reply delivered while
 *   no client was subscribed (the moments after a restart) is not replayed by the local channel, so this view may
 *   miss some but must never show one twice;
 * - the outbox: the replies the host delivered to the channel (`outbound_messages`, status `sent`); each token must
 *   be in exactly one of them.
 * Env: FAULTS_KILL_MESSAGES (1000), FAULTS_KILLS (20, a minimum), FAULTS_SEED (random).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import { freePort } from '@nanoclaw/testing/loopback';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi, type HostEvent, sandboxRuntime, sleep, until } from './api.js';
import { type HostProcess, scratchRoot, startHost } from './host-process.js';
import { alive, killTree, sandboxes } from './processes.js';
import { writeSummary } from './results.js';

const TOTAL = Number(process.env.FAULTS_KILL_MESSAGES ?? 1_000);
const MIN_KILLS = Number(process.env.FAULTS_KILLS ?? 20);
const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** main answers everything; the other two answer when addressed (`@Andy`). Three sandboxes at once. */
const FOLDERS = ['main', 'alpha', 'beta'] as const;
/** Between sends, so the run spans many kills. */
const SEND_GAP_MS = Number(process.env.FAULTS_SEND_GAP_MS ?? 25);
/** Host uptime between kills, from "ready": random in this range, so kills land at any stage of a turn. */
const UPTIME_MS = [500, 3_000] as const;
const TOKEN = /\[m-\d{4}\.\d+\]/g;

const sandbox = await sandboxRuntime();

describe.skipIf('skip' in sandbox)('kill -9 the host during a 1,000-message run', () => {
  const roots: string[] = [];
  let host: HostProcess | undefined;
  afterAll(async () => {
    await host?.kill9();
    if (!process.env.FAULTS_KEEP) for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
    else console.log(`kept ${roots.join(' ')}`);
  });

  it(`loses nothing and answers every message once across ≥ ${MIN_KILLS} kills`, async () => {
    const runtime = 'runtime' in sandbox ? sandbox.runtime : 'process';
    const random = mulberry32(SEED);
    console.log(`[kill -9] seed ${SEED} (FAULTS_SEED to replay), ${TOTAL} messages, ≥ ${MIN_KILLS} kills`);
    const root = scratchRoot('kill9');
    roots.push(root);
    const port = await freePort();
    const start = () => startHost({ root, port, runtime });
    host = await start();
    const api = createApi(host.url, () => (host as HostProcess).token());
    for (const folder of FOLDERS.slice(1)) {
      const created = await api.request('POST', '/api/v1/groups', { folder });
      expect(created.status, created.text).toBe(201);
    }

    // First start of each group (the sandbox's one-time setup) before any kill: the run measures steady state.
    for (const folder of FOLDERS) {
      const warm = await api.postMessage(folder, folder === 'main' ? 'warm-up' : '@Andy warm-up');
      await until(
        async () => {
          const handle = await openDatabase({ path: path.join(root, 'data', 'nanoclaw.db'), migrate: false });
          try {
            const row = await handle.db
              .selectFrom('inbound_messages')
              .select('status')
              .where('platform_message_id', '=', warm.messageId)
              .executeTakeFirst();
            return row?.status === 'done';
          } finally {
            await handle.close();
          }
        },
        60_000,
        `warm-up of ${folder}`,
      );
    }

    // The chat view: every reply event, re-subscribed after each restart.
    const sseReplies = new Map<string, number>();
    const sseErrors: HostEvent[] = [];
    let following = true;
    const follow = (async () => {
      while (following) {
        try {
          const sub = await api.events((event) => {
            if (event.type === 'reply')
              for (const token of event.text?.match(TOKEN) ?? [])
                sseReplies.set(token, (sseReplies.get(token) ?? 0) + 1);
            if (event.type === 'error') sseErrors.push(event);
          });
          const stop = setInterval(() => {
            if (!following) sub.close();
          }, 100);
          await sub.closed;
          clearInterval(stop);
        } catch {
          // the host is down: try again
        }
        await sleep(25);
      }
    })();

    // The sender: paced, retrying under a new token when a kill cuts a send off.
    const accepted = new Map<string, string>(); // token → messageId
    const cutOff: string[] = [];
    let sending = true;
    const send = (async () => {
      for (let n = 1; n <= TOTAL; n += 1) {
        for (let attempt = 1; ; attempt += 1) {
          const token = `[m-${String(n).padStart(4, '0')}.${attempt}]`;
          const folder = FOLDERS[n % FOLDERS.length] ?? 'main';
          const text = folder === 'main' ? `question ${token}` : `@Andy question ${token}`;
          try {
            const posted = await api.postMessage(folder, text);
            accepted.set(token, posted.messageId);
            break;
          } catch (error) {
            if (!isRefused(error)) cutOff.push(token);
            await sleep(20);
          }
        }
        await sleep(SEND_GAP_MS);
      }
      sending = false;
    })();

    // The killer: random uptimes while messages flow, and on while they drain, until enough kills.
    let kills = 0;
    /** The sandboxes of every killed host: each must be gone once its host is (bwrap --die-with-parent). */
    const sandboxPids = new Set<number>();
    const startedAt = Date.now();
    while (sending || kills < MIN_KILLS) {
      await sleep(UPTIME_MS[0] + Math.floor(random() * (UPTIME_MS[1] - UPTIME_MS[0])));
      for (const box of sandboxes(host.child.pid ?? 0)) sandboxPids.add(box.pid);
      await host.kill9();
      kills += 1;
      host = await start();
    }
    await send;
    const runMs = Date.now() - startedAt;

    // Let the last host finish the work, then stop it cleanly and count.
    const dbPath = path.join(root, 'data', 'nanoclaw.db');
    const watch = await openDatabase({ path: dbPath, migrate: false });
    try {
      await until(
        async () => {
          const open = await watch.db
            .selectFrom('inbound_messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', 'not in', ['done', 'failed', 'context'])
            .executeTakeFirstOrThrow();
          const pending = await watch.db
            .selectFrom('outbound_messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '!=', 'sent')
            .executeTakeFirstOrThrow();
          return Number(open.n) === 0 && Number(pending.n) === 0;
        },
        180_000,
        'every message answered',
      );
    } finally {
      await watch.close();
    }
    await sleep(1_000); // the last reply events reach the stream
    const orphans = [...sandboxPids].filter(alive);
    for (const pid of orphans) killTree(pid);
    following = false;
    await host.stop();
    await follow;

    const handle = await openDatabase({ path: dbPath, migrate: false });
    const inbound = await handle.db
      .selectFrom('inbound_messages')
      .select(['text', 'status', 'tries', 'last_error', 'chat_id'])
      .execute();
    const deadItems = await handle.db
      .selectFrom('queue_items')
      .select(['id', 'tries', 'last_error'])
      .where('status', '=', 'dead')
      .execute();
    const outbound = await handle.db
      .selectFrom('outbound_messages')
      .select(['text', 'status', 'idempotency_key', 'chat_id'])
      .execute();
    await handle.close();

    const stored = new Map<string, { status: string; tries: number; chat: string; error: string | null }>();
    for (const row of inbound)
      for (const token of row.text.match(TOKEN) ?? [])
        stored.set(token, { status: row.status, tries: row.tries, chat: row.chat_id, error: row.last_error });
    const delivered = new Map<string, number>();
    for (const row of outbound.filter((r) => r.status === 'sent'))
      for (const token of row.text.match(TOKEN) ?? []) delivered.set(token, (delivered.get(token) ?? 0) + 1);

    const lost = [...accepted.keys()].filter((token) => !stored.has(token));
    const notDone = [...stored].filter(([, s]) => s.status !== 'done');
    // A turn the host was killed in five times in a row is given up (a crash loop must end): the user gets an
    // error reply instead of silence. Anything else not answered is a failure.
    const givenUp = notDone.filter(([, s]) => s.status === 'failed' && s.tries >= 5);
    const unexplained = notDone.filter(([token]) => !givenUp.some(([t]) => t === token));
    const unanswered = [...stored]
      .filter(([token, s]) => s.status === 'done' && !delivered.has(token))
      .map(([token]) => token);
    const doubleDelivered = [...delivered].filter(([, count]) => count > 1);
    const doubleSeen = [...sseReplies].filter(([, count]) => count > 1);
    const seenLive = [...stored.keys()].filter((token) => sseReplies.has(token)).length;
    const errorReplies = outbound.filter(
      (r) => r.idempotency_key.startsWith('error:') || /^Sorry/.test(r.text),
    );
    const noticedChats = new Set(
      outbound
        .filter((r) => r.status === 'sent' && r.idempotency_key.startsWith('notice:run-dead-lettered:'))
        .map((r) => r.chat_id),
    );
    const givenUpUntold = givenUp.filter(([, s]) => !noticedChats.has(s.chat));
    const maxTries = Math.max(0, ...[...stored.values()].map((s) => s.tries));

    const summary = {
      seed: SEED,
      messages: TOTAL,
      kills,
      runSeconds: Math.round(runMs / 100) / 10,
      accepted: accepted.size,
      cutOffSends: cutOff.length,
      storedMessages: stored.size,
      lostAccepted: lost.length,
      answeredWithError: givenUp.length,
      deadLetteredTurns: deadItems.length,
      notAnswered: unexplained.length + unanswered.length,
      duplicateRepliesOutbox: doubleDelivered.length,
      duplicateRepliesSeenInChat: doubleSeen.length,
      repliesSeenLiveInChat: seenLive,
      errorReplies: errorReplies.length,
      errorEvents: sseErrors.length,
      replyMessages: outbound.length,
      maxTriesOfAMessage: maxTries,
      sandboxesOfKilledHosts: sandboxPids.size,
      orphanedSandboxes: orphans.length,
      deadLetterErrors: [...new Set(deadItems.map((d) => d.last_error))].slice(0, 5),
    };
    console.log(`[kill -9] ${JSON.stringify(summary)}`);
    writeSummary('kill-host', summary);

    // Reported, not asserted: a rare orphan was seen once (see bench/RESULTS.md); the count keeps it visible.
    if (orphans.length > 0)
      console.warn(`[kill -9] ${orphans.length} sandbox(es) outlived their killed host`);
    expect(accepted.size).toBe(TOTAL);
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(lost, 'accepted messages lost').toEqual([]);
    expect(unexplained.slice(0, 5), 'messages neither answered nor given up').toEqual([]);
    expect(unanswered.slice(0, 5), 'messages marked done without a reply').toEqual([]);
    expect(doubleDelivered.slice(0, 5), 'messages answered twice (outbox)').toEqual([]);
    expect(doubleSeen.slice(0, 5), 'replies the chat saw twice').toEqual([]);
    // Every chat with a given-up turn was told (one notice per chat per 10 minutes), and no agent turn failed.
    expect(givenUpUntold.slice(0, 5), 'given up without telling the chat').toEqual([]);
    expect(
      errorReplies.filter((r) => !r.idempotency_key.startsWith('notice:')).map((r) => r.text),
      'failed turns',
    ).toEqual([]);
  }, 600_000);
});

/** ECONNREFUSED: the host was down, the send never reached it. */
function isRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

/** A small seeded generator, so a failing run can be replayed with FAULTS_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
