/**
 * How fast a sandboxed agent answers: the real agent-runner bundle (apps/agent-runner/dist, its built-in `mock`
 * provider) spawned through @nanoclaw/container-runner's host side (`createSandboxConnection`) in each runtime:
 * `process`, `bwrap` and `docker` (the registry-free image from docker/build-scratch-image.sh). Per runtime:
 * - bare: the same sandbox running a one-statement `node -e`, spawn → sandbox gone (`exited`, so including the
 *   runtime's teardown: docker's --rm, bwrap's cgroup removal), and spawn → its first stdout byte (median of 10
 *   after 2 warm-ups);
 * - cold: spawn → `runner/ready` → `session/start` → first `text-delta` → `turn-end` of a one-line prompt,
 *   all measured from the spawn (median, min–max of 5 fresh sandboxes);
 * - warm: 50 further turns on the last cold sandbox, prompt → `turn-end` (p50 / p99 / max);
 * - overhead split: `run/start` sent → `turn-start` received, cold and warm.
 * A runtime that is not available gets a row saying why. Every sandbox is killed at the end (docker: also
 * `docker rm -f` by label), on errors and on SIGINT too.
 * Run: `node --import tsx bench/runner-latency.bench.ts` after building container-runner and agent-runner
 * (`pnpm bench runner` does both). Docker uses DOCKER_HOST, else the engine of .ci/sandbox-setup.sh
 * (.ci/state/docker.sock). Env: RUNNER_BENCH_RUNTIMES (default `process,bwrap,docker`), RUNNER_BENCH_BARE (10),
 * RUNNER_BENCH_COLD (5), RUNNER_BENCH_WARM (50).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// From the workspace package's build output (build it first).
import {
  type AgentSandbox,
  type BwrapSandboxProcess,
  createDockerRuntime,
  createProcessRuntime,
} from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage } from '@nanoclaw/core';
import { envInt, envString, writeBenchReport } from './report.js';
import {
  type BareSummary,
  benchBwrapRuntime,
  benchSpecFactory,
  buildScratchImage,
  type ColdSummary,
  dockerHostEnv,
  groupDir,
  PROMPT,
  SandboxBench,
  SCRATCH_IMAGE,
  stageBenchFiles,
  type TurnTiming,
} from './sandbox-bench.js';
import { fmt, percentile, range, round, sorted } from './stats.js';

type RuntimeName = 'process' | 'bwrap' | 'docker';

interface RuntimeResult extends Partial<BareSummary> {
  runtime: RuntimeName;
  status: 'ok' | 'unavailable' | 'error' | 'skipped';
  reason?: string;
  detail?: string;
  /** One-time preparation before measuring (docker: image build), ms. */
  setupMs?: number;
  cold?: ColdSummary;
  warm?: {
    turns: number;
    p50: number;
    p99: number;
    max: number;
    min: number;
    mean: number;
    firstDeltaP50: number;
    runStartToTurnStart: { p50: number; p99: number; max: number };
    /** prompt → turn-end of each turn, in order. */
    samples: number[];
  };
}

interface Target {
  runtime: ContainerRuntime;
  /** docker: the image with the runner inside; bwrap/process mount the bundle at /app instead. */
  image?: string;
  setupMs?: number;
  detail?: string;
}

const INSTALL_ID = `runner-latency-bench-${process.pid}`;
const BARE_RUNS = envInt('RUNNER_BENCH_BARE', 10);
const BARE_WARMUPS = 2;
const COLD_RUNS = envInt('RUNNER_BENCH_COLD', 5);
const WARM_TURNS = envInt('RUNNER_BENCH_WARM', 50);
const RUNTIMES: readonly RuntimeName[] = ['process', 'bwrap', 'docker'];
const SELECTED = new Set(
  (envString('RUNNER_BENCH_RUNTIMES') ?? RUNTIMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const bench = new SandboxBench(INSTALL_ID);
bench.stopOnSignals();

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-runner-bench-'));
  bench.onCleanup(() => fs.rm(root, { recursive: true, force: true }));
  const results: RuntimeResult[] = [];
  try {
    const { app } = await stageBenchFiles(root, RUNTIMES);
    for (const name of RUNTIMES) {
      if (!SELECTED.has(name)) {
        results.push({ runtime: name, status: 'skipped', reason: 'not in RUNNER_BENCH_RUNTIMES' });
        continue;
      }
      console.log(`--- ${name}`);
      results.push(await benchRuntime(name, root, app));
    }
  } finally {
    await bench.cleanup();
  }
  printTable(results);
  writeBenchReport('runner-latency', results, {
    config: { bareRuns: BARE_RUNS, bareWarmups: BARE_WARMUPS, coldRuns: COLD_RUNS, warmTurns: WARM_TURNS },
  });
  if (results.some((r) => r.status === 'error')) process.exitCode = 1;
}

async function benchRuntime(name: RuntimeName, root: string, app: string): Promise<RuntimeResult> {
  let target: Target | { unavailable: string };
  try {
    target = await prepare(name);
  } catch (error) {
    return { runtime: name, status: 'error', reason: `setup failed: ${errorMessage(error)}` };
  }
  if ('unavailable' in target) {
    console.log(`${name}: unavailable: ${target.unavailable}`);
    return { runtime: name, status: 'unavailable', reason: target.unavailable };
  }
  const result: RuntimeResult = {
    runtime: name,
    status: 'ok',
    ...(target.detail ? { detail: target.detail } : {}),
    ...(target.setupMs !== undefined ? { setupMs: round(target.setupMs) } : {}),
  };
  const spec = benchSpecFactory({
    label: name,
    installId: INSTALL_ID,
    app,
    group: groupDir(root, name),
    ...(target.image ? { image: target.image } : {}),
  });

  try {
    // Bare: the same sandbox, running a trivial node instead of the runner.
    Object.assign(result, await bench.measureBare(name, target.runtime, spec, BARE_RUNS, BARE_WARMUPS));

    // Cold: a fresh sandbox each; the last one stays up for the warm turns.
    const { cold, kept } = await bench.measureCold(name, target.runtime, spec, COLD_RUNS, {
      keepLast: true,
      onSandbox: (sandbox, i) => {
        if (name !== 'bwrap' || i !== 0) return;
        const limits = (sandbox.process as Partial<BwrapSandboxProcess>).limits;
        if (limits)
          result.detail = `${result.detail ?? ''}; limits via ${limits.mechanism}`.replace(/^; /, '');
      },
    });
    result.cold = cold;

    // Warm: further turns on the same live sandbox.
    if (!kept) throw new Error('no sandbox left for the warm turns');
    result.warm = await warmTurns(name, kept);
  } catch (error) {
    console.error(`${name}: ${errorMessage(error)}`);
    result.status = 'error';
    result.reason = errorMessage(error);
  }
  return result;
}

/** `WARM_TURNS` further turns on a live sandbox, which is closed afterwards. */
async function warmTurns(name: RuntimeName, sandbox: AgentSandbox): Promise<RuntimeResult['warm']> {
  try {
    const turns: TurnTiming[] = [];
    for (let i = 0; i < WARM_TURNS; i += 1) turns.push(await bench.timedTurn(sandbox, `${PROMPT} ${i + 1}`));
    const ends = sorted(turns.map((t) => t.turnEndMs));
    const starts = sorted(turns.map((t) => t.turnStartMs));
    const warm = {
      turns: turns.length,
      p50: round(percentile(ends, 0.5)),
      p99: round(percentile(ends, 0.99)),
      max: round(ends.at(-1) ?? 0),
      min: round(ends[0] ?? 0),
      mean: round(ends.reduce((a, b) => a + b, 0) / Math.max(1, ends.length)),
      firstDeltaP50: round(percentile(sorted(turns.map((t) => t.firstDeltaMs)), 0.5)),
      runStartToTurnStart: {
        p50: round(percentile(starts, 0.5)),
        p99: round(percentile(starts, 0.99)),
        max: round(starts.at(-1) ?? 0),
      },
      samples: turns.map((t) => round(t.turnEndMs)),
    };
    console.log(
      `${name}: warm x${turns.length}: p50 ${fmt(warm.p50)}, p99 ${fmt(warm.p99)}, max ${fmt(warm.max)} ms`,
    );
    return warm;
  } finally {
    await bench.closeSandbox(sandbox);
  }
}

/** The runtime, ready to spawn, or why it cannot be used here. */
async function prepare(name: RuntimeName): Promise<Target | { unavailable: string }> {
  if (name === 'process') {
    return { runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }), detail: 'no isolation' };
  }
  if (name === 'bwrap') return benchBwrapRuntime();
  const hostEnv = dockerHostEnv();
  const runtime = createDockerRuntime({ hostEnv });
  const available = await runtime.available();
  if (!available.ok) return { unavailable: `${available.reason} (${available.hint})` };
  bench.watchDocker(runtime);
  const setupMs = await buildScratchImage(hostEnv);
  return { runtime, image: SCRATCH_IMAGE, setupMs, detail: `${available.detail}; image ${SCRATCH_IMAGE}` };
}

function printTable(results: RuntimeResult[]): void {
  console.log(
    `\nms; bare = trivial node sandbox, spawn → first stdout byte / spawn → sandbox gone (median of ${BARE_RUNS}); ` +
      `cold = from spawn, median (min–max) of ${COLD_RUNS}; ` +
      `warm = prompt→turn-end over ${WARM_TURNS} turns; start→turn-start = run/start sent → turn-start received`,
  );
  console.table(
    results.map((r) => ({
      runtime: r.runtime,
      status: r.status,
      'bare up/gone': r.bare && r.bareUp ? `${fmt(r.bareUp.median)} / ${fmt(r.bare.median)}` : '',
      'cold ready': range(r.cold?.readyMs),
      'cold session': range(r.cold?.sessionMs),
      'cold 1st delta': range(r.cold?.firstDeltaMs),
      'cold turn-end': range(r.cold?.turnEndMs),
      'cold start→turn-start': r.cold ? fmt(r.cold.runStartToTurnStartMs.median) : '',
      'warm p50/p99/max': r.warm ? `${fmt(r.warm.p50)} / ${fmt(r.warm.p99)} / ${fmt(r.warm.max)}` : '',
      'warm start→turn-start p50': r.warm ? fmt(r.warm.runStartToTurnStart.p50) : '',
    })),
  );
  for (const r of results) {
    const note = [r.reason, r.detail, r.setupMs !== undefined ? `setup ${fmt(r.setupMs)} ms` : undefined]
      .filter(Boolean)
      .join('; ');
    if (note) console.log(`${r.runtime}: ${note}`);
  }
}

await main();
