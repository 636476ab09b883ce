/**
 * Scheduler lateness on real timers: 10,000 once-tasks all due within 10 s; lateness = the time the `onRun`
 * callback is called − the time the run was scheduled for (`Date.now()`, so whole milliseconds). Measured with
 * the in-memory store and the SQLite store (a real WAL file in a temp dir). Target: p99 ≤ 50 ms.
 * Run: `node --import tsx bench/scheduler-lateness.bench.ts` after building core, db and scheduler
 * (`pnpm bench scheduler` does both). Env: SCHEDULER_BENCH_TASKS (default 10000), SCHEDULER_BENCH_SPREAD_MS
 * (10000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TaskStore } from '@nanoclaw/core';
import { createSqliteTaskStore, openDatabase } from '@nanoclaw/db';
import { createMemoryTaskStore, createScheduler } from '@nanoclaw/scheduler';
import { envInt, writeBenchReport } from './report.js';
import { percentile } from './stats.js';

interface Result {
  store: string;
  tasks: number;
  spreadMs: number;
  /** Lateness percentiles, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Never early: no callback before its scheduled time. */
  early: number;
  /** Every task ran exactly once. */
  ranOnce: boolean;
  /** Creating the tasks (validate + store), ms: not part of the lateness. */
  createMs: number;
}

const TASKS = envInt('SCHEDULER_BENCH_TASKS', 10_000);
const SPREAD_MS = envInt('SCHEDULER_BENCH_SPREAD_MS', 10_000);
const TARGET_P99_MS = 50;

async function measure(name: string, store: TaskStore): Promise<Result> {
  const lateness: number[] = [];
  const seen = new Map<string, number>();
  let finished: () => void = () => undefined;
  const allRan = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const scheduler = createScheduler({
    store,
    timezone: 'UTC',
    onRun: (run) => {
      lateness.push(Date.now() - run.scheduledFor);
      seen.set(run.taskId, (seen.get(run.taskId) ?? 0) + 1);
      if (lateness.length === TASKS) finished();
    },
  });

  // Tasks are created before start() so that creating them does not compete with firing them; the lead time
  // leaves room for that, and the due times are uniformly random over the spread.
  const leadMs = name === 'memory' ? 3_000 : 15_000;
  const base = Date.now() + leadMs;
  const createStarted = performance.now();
  for (let i = 0; i < TASKS; i += 1) {
    const at = base + Math.floor(Math.random() * SPREAD_MS);
    await scheduler.createTask({
      id: `task-${i}`,
      groupId: 'bench',
      prompt: `task ${i}`,
      schedule: { kind: 'once', at: new Date(at).toISOString() },
    });
  }
  const createMs = Math.round(performance.now() - createStarted);
  if (Date.now() >= base)
    console.warn(`${name}: creating tasks took longer than the lead time; raise leadMs`);
  await scheduler.start();
  await allRan;
  await scheduler.stop();

  const sorted = [...lateness].sort((a, b) => a - b);
  return {
    store: name,
    tasks: TASKS,
    spreadMs: SPREAD_MS,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? 0,
    mean: Math.round((sorted.reduce((sum, value) => sum + value, 0) / sorted.length) * 100) / 100,
    early: sorted.filter((value) => value < 0).length,
    ranOnce: seen.size === TASKS && [...seen.values()].every((count) => count === 1),
    createMs,
  };
}

async function main(): Promise<void> {
  const results: Result[] = [];
  results.push(await measure('memory', createMemoryTaskStore()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-scheduler-bench-'));
  try {
    const handle = await openDatabase({ path: path.join(dir, 'bench.db') });
    const mode = String(handle.sqlite.pragma('journal_mode', { simple: true }));
    await handle.db
      .insertInto('agent_groups')
      .values({
        id: 'bench',
        folder: 'bench',
        name: 'bench',
        is_main: 0,
        trigger: null,
        agent_provider: null,
        container_config: null,
        created_at: Date.now(),
        updated_at: Date.now(),
      })
      .execute();
    results.push(await measure(`sqlite ${mode} kysely`, createSqliteTaskStore(handle.db)));
    await handle.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.table(results);
  const ok = results.every((r) => r.ranOnce && r.early === 0);
  const meets = results.every((r) => r.p99 <= TARGET_P99_MS);
  for (const r of results) {
    console.log(`${r.store}: lateness p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`);
  }
  console.log(
    `target p99 <= ${TARGET_P99_MS} ms: ${meets ? 'met' : 'MISSED'}; invariants (once each, never early): ${ok ? 'held' : 'BROKEN'}`,
  );
  writeBenchReport('scheduler-lateness', results);
  if (!ok) process.exitCode = 1;
}

await main();
