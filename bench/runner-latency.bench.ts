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
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// Not a root devDependency: imported from the workspace package's build output.
import {
  type AgentSandbox,
  type BwrapSandboxProcess,
  createBwrapRuntime,
  createDockerRuntime,
  createProcessRuntime,
  createSandboxConnection,
  type DockerRuntime,
  runnerAppMount,
} from '@nanoclaw/container-runner';
import type { AgentEvent, ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import { envInt, writeBenchReport } from './report.js';

type RuntimeName = 'process' | 'bwrap' | 'docker';

interface Stat {
  median: number;
  min: number;
  max: number;
}

interface ColdSample {
  /** All from the moment `runtime.spawn` was called, ms. */
  readyMs: number;
  sessionMs: number;
  firstDeltaMs: number;
  turnEndMs: number;
  /** `run/start` sent → `turn-start` received, ms. */
  runStartToTurnStartMs: number;
  /** `close()` (session/close, runner exit, sandbox gone), ms. */
  closeMs: number | null;
}

interface TurnTiming {
  turnStartMs: number;
  firstDeltaMs: number;
  turnEndMs: number;
}

interface RuntimeResult {
  runtime: RuntimeName;
  status: 'ok' | 'unavailable' | 'error' | 'skipped';
  reason?: string;
  detail?: string;
  /** One-time preparation before measuring (docker: image build), ms. */
  setupMs?: number;
  /** Spawn → the sandbox is gone (`exited` resolved), ms. */
  bare?: Stat & { samples: number[] };
  /** Spawn → node inside wrote its first byte, ms. */
  bareUp?: Stat & { samples: number[] };
  cold?: {
    readyMs: Stat;
    sessionMs: Stat;
    firstDeltaMs: Stat;
    turnEndMs: Stat;
    runStartToTurnStartMs: Stat;
    closeMs: Stat | null;
    samples: ColdSample[];
  };
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

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(here, '..');
const RUNNER_DIST = path.join(REPO_ROOT, 'apps/agent-runner/dist');
const BENCH_IMAGE = 'nanoclaw-bench/agent-runner:scratch';
const INSTALL_ID = `runner-latency-bench-${process.pid}`;
const PROMPT = 'hello';
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
const STEP_TIMEOUT_MS = 90_000;

const execFileAsync = promisify(execFile);

/** Everything still running, and spawns still under way: killed by `cleanup()`. */
const live = new Set<{ kill(): Promise<void> }>();
const starting = new Set<Promise<unknown>>();
const dockerRuntimes: DockerRuntime[] = [];
/** The scratch dir (bundle copy, group folders): removed by `cleanup()`. */
let scratchRoot: string | undefined;
let cleaning: Promise<void> | undefined;

/** Registers a sandbox as soon as its spawn resolves, so `cleanup()` can wait for a spawn under way and stop it. */
async function tracked<T extends { kill(): Promise<void> }>(start: () => Promise<T>): Promise<T> {
  if (cleaning) throw new Error('stopping: no new sandboxes');
  const entry = start().then((sandbox) => {
    live.add(sandbox);
    return sandbox;
  });
  starting.add(entry);
  try {
    return await entry;
  } finally {
    starting.delete(entry);
  }
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // A spawn under way (e.g. a docker client creating its container) would otherwise outlive us.
    await Promise.race([
      Promise.allSettled([...starting]),
      new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
    ]);
    await Promise.allSettled([...live].map((s) => s.kill()));
    live.clear();
    // Anything docker still has with this run's label (e.g. a container whose client was lost).
    for (const runtime of dockerRuntimes) {
      try {
        const left = await runtime.list({ 'nanoclaw.install': INSTALL_ID });
        await Promise.allSettled(left.map((s) => runtime.stop(s.name)));
        if (left.length > 0) console.warn(`docker: removed ${left.length} leftover container(s)`);
      } catch (error) {
        console.warn(`docker cleanup failed: ${describe(error)}`);
      }
    }
    if (scratchRoot) await fs.rm(scratchRoot, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping sandboxes`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (!existsSync(path.join(RUNNER_DIST, 'main.js'))) {
    throw new Error(`${RUNNER_DIST}/main.js is not built: run turbo build for @nanoclaw/agent-runner first`);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-runner-bench-'));
  scratchRoot = root;
  const results: RuntimeResult[] = [];
  try {
    // Every sandbox uid must be able to traverse the scratch dir, read the bundle and write the group folder.
    await fs.chmod(root, 0o755);
    const app = path.join(root, 'app');
    await fs.cp(RUNNER_DIST, app, { recursive: true });
    await chmodTree(app);
    for (const name of RUNTIMES) {
      if (!SELECTED.has(name)) {
        results.push({ runtime: name, status: 'skipped', reason: 'not in RUNNER_BENCH_RUNTIMES' });
        continue;
      }
      console.log(`--- ${name}`);
      results.push(await benchRuntime(name, root, app));
    }
  } finally {
    await cleanup();
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
    return { runtime: name, status: 'error', reason: `setup failed: ${describe(error)}` };
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
  const group = path.join(root, `group-${name}`);
  await fs.mkdir(group, { recursive: true });
  await fs.chmod(group, 0o777);
  let seq = 0;
  const spec = (kind: string, command?: string[]): SandboxSpec => ({
    name: `nc-bench-${name}-${process.pid}-${kind}-${seq++}`,
    ...(target.image ? { image: target.image } : {}),
    command: command ?? ['/usr/bin/node', '/app/main.js'],
    cwd: '/workspace/group',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    mounts: [
      ...(target.image ? [] : [runnerAppMount(app)]),
      { hostPath: group, containerPath: '/workspace/group', readonly: false },
    ],
    network: 'none',
    limits: { memoryMb: 512, cpus: 1, pids: 256 },
    labels: { 'nanoclaw.install': INSTALL_ID },
    user: { uid: 1000, gid: 1000 },
  });

  try {
    // Bare: the same sandbox, running a trivial node instead of the runner.
    const bare: number[] = [];
    const bareUp: number[] = [];
    for (let i = 0; i < BARE_WARMUPS + BARE_RUNS; i += 1) {
      const command = ['/usr/bin/node', '-e', 'process.stdout.write("up")'];
      const timing = await bareSpawn(target.runtime, spec('bare', command));
      if (i < BARE_WARMUPS) continue;
      bare.push(timing.exitMs);
      bareUp.push(timing.upMs);
    }
    result.bare = { ...stat(bare), samples: bare.map(round) };
    result.bareUp = { ...stat(bareUp), samples: bareUp.map(round) };
    console.log(
      `${name}: bare spawn median: up ${fmt(result.bareUp.median)}, gone ${fmt(result.bare.median)} ms`,
    );

    // Cold: a fresh sandbox each; the last one stays up for the warm turns.
    const cold: ColdSample[] = [];
    let kept: AgentSandbox | undefined;
    for (let i = 0; i < COLD_RUNS; i += 1) {
      const keep = i === COLD_RUNS - 1;
      const { sample, sandbox } = await coldStart(target.runtime, spec('runner'), keep);
      cold.push(sample);
      if (keep) kept = sandbox;
      if (name === 'bwrap' && i === 0) {
        const limits = (sandbox.process as Partial<BwrapSandboxProcess>).limits;
        if (limits)
          result.detail = `${result.detail ?? ''}; limits via ${limits.mechanism}`.replace(/^; /, '');
      }
      console.log(
        `${name}: cold ${i + 1}/${COLD_RUNS}: ready ${fmt(sample.readyMs)}, session ${fmt(sample.sessionMs)}, ` +
          `first delta ${fmt(sample.firstDeltaMs)}, turn-end ${fmt(sample.turnEndMs)} ms`,
      );
    }
    const closes = cold.flatMap((c) => (c.closeMs === null ? [] : [c.closeMs]));
    result.cold = {
      readyMs: stat(cold.map((c) => c.readyMs)),
      sessionMs: stat(cold.map((c) => c.sessionMs)),
      firstDeltaMs: stat(cold.map((c) => c.firstDeltaMs)),
      turnEndMs: stat(cold.map((c) => c.turnEndMs)),
      runStartToTurnStartMs: stat(cold.map((c) => c.runStartToTurnStartMs)),
      closeMs: closes.length > 0 ? stat(closes) : null,
      samples: cold.map((c) => ({
        readyMs: round(c.readyMs),
        sessionMs: round(c.sessionMs),
        firstDeltaMs: round(c.firstDeltaMs),
        turnEndMs: round(c.turnEndMs),
        runStartToTurnStartMs: round(c.runStartToTurnStartMs),
        closeMs: c.closeMs === null ? null : round(c.closeMs),
      })),
    };

    // Warm: further turns on the same live sandbox.
    if (!kept) throw new Error('no sandbox left for the warm turns');
    const sandbox = kept;
    try {
      const turns: TurnTiming[] = [];
      for (let i = 0; i < WARM_TURNS; i += 1) turns.push(await timedTurn(sandbox, `${PROMPT} ${i + 1}`));
      const ends = sorted(turns.map((t) => t.turnEndMs));
      const starts = sorted(turns.map((t) => t.turnStartMs));
      result.warm = {
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
        `${name}: warm x${turns.length}: p50 ${fmt(result.warm.p50)}, p99 ${fmt(result.warm.p99)}, max ${fmt(result.warm.max)} ms`,
      );
    } finally {
      await closeSandbox(sandbox);
    }
  } catch (error) {
    console.error(`${name}: ${describe(error)}`);
    result.status = 'error';
    result.reason = describe(error);
  }
  return result;
}

/** The runtime, ready to spawn, or why it cannot be used here. */
async function prepare(name: RuntimeName): Promise<Target | { unavailable: string }> {
  if (name === 'process') {
    return { runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }), detail: 'no isolation' };
  }
  if (name === 'bwrap') {
    if (process.platform !== 'linux') return { unavailable: 'bubblewrap is Linux only' };
    // A persistent cache: the runtime tree (node + libs) is built once, not per run.
    const cacheDir = path.join(os.tmpdir(), `nanoclaw-bwrap-bench-cache-${process.getuid?.() ?? 'u'}`);
    await fs.mkdir(cacheDir, { recursive: true, mode: 0o755 });
    await fs.chmod(cacheDir, 0o755);
    const runtime = createBwrapRuntime({ cacheDir });
    const available = await runtime.available();
    if (!available.ok) return { unavailable: `${available.reason} (${available.hint})` };
    return { runtime, detail: available.detail };
  }
  const hostEnv = dockerHostEnv();
  const runtime = createDockerRuntime({ hostEnv });
  const available = await runtime.available();
  if (!available.ok) return { unavailable: `${available.reason} (${available.hint})` };
  dockerRuntimes.push(runtime);
  // The registry-free image with the runner at /app, as CI and offline machines build it.
  const started = performance.now();
  const env = Object.fromEntries(
    Object.entries(hostEnv).filter((e): e is [string, string] => e[1] !== undefined),
  );
  await execFileAsync(
    path.join(REPO_ROOT, 'docker/build-scratch-image.sh'),
    ['-t', BENCH_IMAGE, RUNNER_DIST],
    { env, timeout: 180_000 },
  );
  return {
    runtime,
    image: BENCH_IMAGE,
    setupMs: performance.now() - started,
    detail: `${available.detail}; image ${BENCH_IMAGE}`,
  };
}

/** DOCKER_HOST, else the engine started by .ci/sandbox-setup.sh. */
function dockerHostEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  const ciSocket = path.join(REPO_ROOT, '.ci/state/docker.sock');
  if (!env.DOCKER_HOST && existsSync(ciSocket)) env.DOCKER_HOST = `unix://${ciSocket}`;
  return env;
}

/** A sandbox running a trivial node: spawn → its first stdout byte, and spawn → the sandbox is gone, ms. */
async function bareSpawn(
  runtime: ContainerRuntime,
  spec: SandboxSpec,
): Promise<{ upMs: number; exitMs: number }> {
  const started = performance.now();
  const proc = await withTimeout(
    tracked(() => runtime.spawn(spec)),
    STEP_TIMEOUT_MS,
    `${spec.name}: spawn`,
  );
  let upMs: number | undefined;
  proc.stdin.end();
  proc.stdout.on('data', () => {
    upMs ??= performance.now() - started;
  });
  const stderr: string[] = [];
  proc.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exit = await withTimeout(proc.exited, STEP_TIMEOUT_MS, `${spec.name}: exit`);
  const exitMs = performance.now() - started;
  live.delete(proc);
  if (exit.code !== 0 || upMs === undefined) {
    throw new Error(
      `${spec.name} (${spec.command.join(' ')}) exited with ${exit.code ?? exit.signal}${upMs === undefined ? ', no output' : ''}: ${stderr.join('').trim()}`,
    );
  }
  return { upMs, exitMs };
}

async function coldStart(
  runtime: ContainerRuntime,
  spec: SandboxSpec,
  keep: boolean,
): Promise<{ sample: ColdSample; sandbox: AgentSandbox }> {
  const started = performance.now();
  const sandbox = await withTimeout(
    tracked(() => createSandboxConnection({ runtime, spec, heartbeatTimeoutMs: 30_000 })),
    STEP_TIMEOUT_MS,
    `${spec.name}: runner/ready`,
  );
  const readyAt = performance.now();
  try {
    await withTimeout(
      sandbox.startSession({ provider: 'mock', cwd: '/workspace/group', turnTimeoutMs: 30_000 }),
      STEP_TIMEOUT_MS,
      `${spec.name}: session/start`,
    );
    const sessionAt = performance.now();
    const turn = await timedTurn(sandbox, PROMPT);
    const sample: ColdSample = {
      readyMs: readyAt - started,
      sessionMs: sessionAt - started,
      firstDeltaMs: sessionAt - started + turn.firstDeltaMs,
      turnEndMs: sessionAt - started + turn.turnEndMs,
      runStartToTurnStartMs: turn.turnStartMs,
      closeMs: null,
    };
    if (!keep) sample.closeMs = await closeSandbox(sandbox);
    return { sample, sandbox };
  } catch (error) {
    await closeSandbox(sandbox);
    throw error;
  }
}

/** One prompt on a live session: ms from `run/start` sent to `turn-start`, first `text-delta` and `turn-end`. */
async function timedTurn(sandbox: AgentSandbox, text: string): Promise<TurnTiming> {
  const events: AgentEvent[] = [];
  let turnStartMs: number | undefined;
  let firstDeltaMs: number | undefined;
  let turnEndMs: number | undefined;
  const consume = async () => {
    const started = performance.now();
    // run() sends run/start at once; its events stream until run/end.
    for await (const event of sandbox.run({ text })) {
      const at = performance.now() - started;
      events.push(event);
      if (event.type === 'turn-start') turnStartMs ??= at;
      else if (event.type === 'text-delta') firstDeltaMs ??= at;
      else if (event.type === 'turn-end') turnEndMs ??= at;
    }
  };
  await withTimeout(consume(), STEP_TIMEOUT_MS, `${sandbox.name}: turn`);
  const end = events.find((e) => e.type === 'turn-end');
  if (
    end?.type !== 'turn-end' ||
    end.status !== 'completed' ||
    !end.text.includes(`Mock reply to: ${text}`) ||
    turnStartMs === undefined ||
    firstDeltaMs === undefined ||
    turnEndMs === undefined
  ) {
    throw new Error(`unexpected turn on ${sandbox.name}: ${JSON.stringify(events).slice(0, 1_000)}`);
  }
  return { turnStartMs, firstDeltaMs, turnEndMs };
}

/** Graceful close (session/close, runner exits); killed if that fails. Returns the close time, ms. */
async function closeSandbox(sandbox: AgentSandbox): Promise<number | null> {
  const started = performance.now();
  try {
    await withTimeout(sandbox.close(), 30_000, `${sandbox.name}: close`);
    return performance.now() - started;
  } catch (error) {
    console.warn(`${sandbox.name}: close failed (${describe(error)}); killing it`);
    await sandbox.kill().catch(() => {});
    return null;
  } finally {
    live.delete(sandbox);
  }
}

function printTable(results: RuntimeResult[]): void {
  const range = (s: Stat | undefined) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '');
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

async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(full);
    else await fs.chmod(full, 0o644);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function stat(values: readonly number[]): Stat {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { median: round(median), min: round(s[0] ?? 0), max: round(s.at(-1) ?? 0) };
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest rank. */
function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return 0;
  return sortedValues[Math.min(sortedValues.length - 1, Math.ceil(p * sortedValues.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function fmt(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function envString(name: string): string | undefined {
  return process.env[name] || undefined;
}

await main();
