/**
 * Group-queue throughput with a no-op worker: items/s end to end (enqueue, start, finish) for the in-memory
 * store and the SQLite store (a real file in a temp dir, WAL). Run: `node --import tsx
 * bench/queue-throughput.bench.ts` after building core, db and group-queue (`pnpm bench queue` does both).
 * Env: QUEUE_BENCH_ITEMS (default 5000: 100 groups × 50 messages), QUEUE_BENCH_GROUPS (100), QUEUE_BENCH_CONCURRENCY (5).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { QueueStore } from '@nanoclaw/core';
import { createSqliteQueueStore, openDatabase } from '@nanoclaw/db';
import { createGroupQueue, createMemoryQueueStore } from '@nanoclaw/group-queue';
import { envInt, writeBenchReport } from './report.js';

interface Payload {
  n: number;
}

interface Result {
  store: string;
  items: number;
  groups: number;
  maxConcurrent: number;
  ms: number;
  itemsPerSecond: number;
  /** Checks: every item ran exactly once, the per-group and overall caps held. */
  ranOnce: boolean;
  maxRunning: number;
  maxRunningPerGroup: number;
}

const ITEMS = envInt('QUEUE_BENCH_ITEMS', 5_000);
const GROUPS = envInt('QUEUE_BENCH_GROUPS', 100);
const CONCURRENCY = envInt('QUEUE_BENCH_CONCURRENCY', 5);
const TARGET_SQLITE = 5_000;

async function run(name: string, store: QueueStore<Payload>, items = ITEMS): Promise<Result> {
  const runs = new Map<string, number>();
  const perGroup = new Map<string, number>();
  let running = 0;
  let maxRunning = 0;
  let maxRunningPerGroup = 0;
  const queue = createGroupQueue<Payload>({
    store,
    maxConcurrent: CONCURRENCY,
    worker: ({ item }) => {
      runs.set(item.id, (runs.get(item.id) ?? 0) + 1);
      running += 1;
      const inGroup = (perGroup.get(item.groupKey) ?? 0) + 1;
      perGroup.set(item.groupKey, inGroup);
      maxRunning = Math.max(maxRunning, running);
      maxRunningPerGroup = Math.max(maxRunningPerGroup, inGroup);
      // Finish on a later microtask, so tries overlap like real async work.
      return Promise.resolve().then(() => {
        running -= 1;
        perGroup.set(item.groupKey, (perGroup.get(item.groupKey) ?? 1) - 1);
      });
    },
  });
  await queue.ready();
  const started = performance.now();
  const enqueued: Promise<unknown>[] = [];
  for (let n = 0; n < items; n += 1) {
    enqueued.push(
      queue.enqueue(`group-${n % GROUPS}`, { n }, { priority: n % 10 === 0 ? 'batch' : 'interactive' }),
    );
  }
  await Promise.all(enqueued);
  await queue.idle();
  const ms = performance.now() - started;
  await queue.shutdown();
  const ranOnce = runs.size === items && [...runs.values()].every((count) => count === 1);
  return {
    store: name,
    items,
    groups: GROUPS,
    maxConcurrent: CONCURRENCY,
    ms: Math.round(ms),
    itemsPerSecond: Math.round((items / ms) * 1000),
    ranOnce,
    maxRunning,
    maxRunningPerGroup,
  };
}

async function main(): Promise<void> {
  // Warm-up (not reported): lets the JIT compile the queue's hot paths first.
  await run('warm-up', createMemoryQueueStore<Payload>(), 5000);
  const results: Result[] = [];
  results.push(await run('memory', createMemoryQueueStore<Payload>()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-queue-bench-'));
  try {
    for (const variant of ['prepared', 'kysely'] as const) {
      const handle = await openDatabase({ path: path.join(dir, `bench-${variant}.db`) });
      const mode = String(handle.sqlite.pragma('journal_mode', { simple: true }));
      const store = createSqliteQueueStore<Payload>(variant === 'prepared' ? handle : handle.db);
      results.push(await run(`sqlite ${mode} ${variant}`, store));
      await handle.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.table(results);
  const sqlite = results.find((r) => r.store.endsWith('prepared'));
  const ok = results.every((r) => r.ranOnce && r.maxRunning <= CONCURRENCY && r.maxRunningPerGroup <= 1);
  const meetsTarget = (sqlite?.itemsPerSecond ?? 0) >= TARGET_SQLITE;
  console.log(
    `sqlite target >= ${TARGET_SQLITE} items/s: ${meetsTarget ? 'met' : 'MISSED'}; invariants: ${ok ? 'held' : 'BROKEN'}`,
  );
  writeBenchReport('queue-throughput', results);
  if (!ok) process.exitCode = 1;
}

await main();
