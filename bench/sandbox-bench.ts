/**
 * What the sandbox benches share (runner-latency, userland): the real agent-runner bundle in a sandbox through
 * @nanoclaw/container-runner's host side, timed as the bare spawn of a trivial node and as the cold start of the
 * runner (spawn → `runner/ready` → `session/start` → first `text-delta` → `turn-end` with the built-in `mock`
 * provider). `SandboxBench` tracks every sandbox it starts, so `cleanup()` (also on SIGINT/SIGTERM) stops them all,
 * removes what docker still holds with the run's label and runs the bench's own clean-up steps.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type AgentSandbox,
  createBwrapRuntime,
  createSandboxConnection,
  type DockerRuntime,
  runnerAppMount,
} from '@nanoclaw/container-runner';
import { type AgentEvent, type ContainerRuntime, errorMessage, type SandboxSpec } from '@nanoclaw/core';
import { fmt, round, type Stat, stat } from './stats.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUNNER_DIST = path.join(REPO_ROOT, 'apps/agent-runner/dist');
/** The registry-free runner image (docker/build-scratch-image.sh) the benches build: node + libs + the runner. */
export const SCRATCH_IMAGE = 'nanoclaw-bench/agent-runner:scratch';
export const PROMPT = 'hello';
const STEP_TIMEOUT_MS = 90_000;

export const execFileAsync = promisify(execFile);

export interface ColdSample {
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

export interface ColdSummary {
  readyMs: Stat;
  sessionMs: Stat;
  firstDeltaMs: Stat;
  turnEndMs: Stat;
  runStartToTurnStartMs: Stat;
  closeMs: Stat | null;
  samples: ColdSample[];
}

export interface TurnTiming {
  turnStartMs: number;
  firstDeltaMs: number;
  turnEndMs: number;
}

export interface BareSummary {
  /** Spawn → the sandbox is gone (`exited` resolved), ms. */
  bare: Stat & { samples: number[] };
  /** Spawn → node inside wrote its first byte, ms. */
  bareUp: Stat & { samples: number[] };
}

/** Names the sandboxes of one bench run: `nc-bench-<label>-<pid>-<kind>-<n>`. */
export type SpecFactory = (kind: string, command?: string[]) => SandboxSpec;

export interface BenchSpecOptions {
  /** Part of every sandbox name (letters, digits, dashes). */
  label: string;
  installId: string;
  /** The runner bundle on the host (mounted at /app) when there is no image carrying it. */
  app: string;
  /** The group folder on the host (mounted read-write at /workspace/group). */
  group: string;
  /** docker: the image with the runner inside at /app. */
  image?: string;
  /** bwrap: the agent userland tree instead of the runtime's minimal tree. */
  rootfs?: string;
}

/** The sandbox every bench runs: uid 1000, no network, 512 MB / 1 CPU / 256 pids, the runner by default. */
export function benchSpecFactory(options: BenchSpecOptions): SpecFactory {
  let seq = 0;
  return (kind, command) => ({
    name: `nc-bench-${options.label}-${process.pid}-${kind}-${seq++}`,
    ...(options.image ? { image: options.image } : {}),
    ...(options.rootfs ? { rootfs: options.rootfs } : {}),
    command: command ?? ['/usr/bin/node', '/app/main.js'],
    cwd: '/workspace/group',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    mounts: [
      ...(options.image ? [] : [runnerAppMount(options.app)]),
      { hostPath: options.group, containerPath: '/workspace/group', readonly: false },
    ],
    network: 'none',
    limits: { memoryMb: 512, cpus: 1, pids: 256 },
    labels: { 'nanoclaw.install': options.installId },
    user: { uid: 1000, gid: 1000 },
  });
}

/**
 * A copy of the runner bundle in `root/app` and an empty `root/group-<name>` per name, that every sandbox uid can
 * traverse, read (the bundle) and write (the group folders).
 */
export async function stageBenchFiles(root: string, groups: readonly string[]): Promise<{ app: string }> {
  if (!existsSync(path.join(RUNNER_DIST, 'main.js'))) {
    throw new Error(`${RUNNER_DIST}/main.js is not built: run turbo build for @nanoclaw/agent-runner first`);
  }
  await fs.chmod(root, 0o755);
  const app = path.join(root, 'app');
  await fs.cp(RUNNER_DIST, app, { recursive: true });
  await chmodTree(app);
  for (const name of groups) {
    const group = groupDir(root, name);
    await fs.mkdir(group, { recursive: true });
    await fs.chmod(group, 0o777);
  }
  return { app };
}

export function groupDir(root: string, name: string): string {
  return path.join(root, `group-${name}`);
}

/** bwrap with a persistent cache (the runtime tree of node + libs is built once, not per run), or why not. */
export async function benchBwrapRuntime(): Promise<
  { runtime: ContainerRuntime; detail: string } | { unavailable: string }
> {
  if (process.platform !== 'linux') return { unavailable: 'bubblewrap is Linux only' };
  const cacheDir = bwrapBenchCacheDir();
  await fs.mkdir(cacheDir, { recursive: true, mode: 0o755 });
  await fs.chmod(cacheDir, 0o755);
  const runtime = createBwrapRuntime({ cacheDir });
  const available = await runtime.available();
  if (!available.ok) return { unavailable: `${available.reason} (${available.hint})` };
  return { runtime, detail: available.detail };
}

export function bwrapBenchCacheDir(): string {
  return path.join(os.tmpdir(), `nanoclaw-bwrap-bench-cache-${process.getuid?.() ?? 'u'}`);
}

/** DOCKER_HOST, else the engine started by .ci/sandbox-setup.sh. */
export function dockerHostEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  const ciSocket = path.join(REPO_ROOT, '.ci/state/docker.sock');
  if (!env.DOCKER_HOST && existsSync(ciSocket)) env.DOCKER_HOST = `unix://${ciSocket}`;
  return env;
}

/** Only the set values of an env, as child_process wants them. */
export function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Builds the registry-free image with the runner at /app (as CI and offline machines do); returns its ms. */
export async function buildScratchImage(hostEnv: Record<string, string | undefined>): Promise<number> {
  const started = performance.now();
  await execFileAsync(
    path.join(REPO_ROOT, 'docker/build-scratch-image.sh'),
    ['-t', SCRATCH_IMAGE, RUNNER_DIST],
    { env: definedEnv(hostEnv), timeout: 180_000 },
  );
  return performance.now() - started;
}

/** Tracks the sandboxes of one bench run and stops them all at the end, on errors and on signals. */
export class SandboxBench {
  /** Everything still running, and spawns still under way. */
  private readonly live = new Set<{ kill(): Promise<void> }>();
  private readonly starting = new Set<Promise<unknown>>();
  private readonly dockerRuntimes: DockerRuntime[] = [];
  /** The bench's own clean-up (scratch dirs, images), run after the sandboxes are gone, last added first. */
  private readonly steps: Array<() => Promise<void>> = [];
  private cleaning: Promise<void> | undefined;

  constructor(readonly installId: string) {}

  /** Stops everything and exits 130 on SIGINT / SIGTERM. */
  stopOnSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: stopping sandboxes`);
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** A docker runtime whose containers with this run's label are removed by `cleanup()`. */
  watchDocker(runtime: DockerRuntime): void {
    this.dockerRuntimes.push(runtime);
  }

  onCleanup(step: () => Promise<void>): void {
    this.steps.unshift(step);
  }

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      // A spawn under way (e.g. a docker client creating its container) would otherwise outlive us.
      await Promise.race([
        Promise.allSettled([...this.starting]),
        new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
      ]);
      await Promise.allSettled([...this.live].map((s) => s.kill()));
      this.live.clear();
      // Anything docker still has with this run's label (e.g. a container whose client was lost).
      for (const runtime of this.dockerRuntimes) {
        try {
          const left = await runtime.list({ 'nanoclaw.install': this.installId });
          await Promise.allSettled(left.map((s) => runtime.stop(s.name)));
          if (left.length > 0) console.warn(`docker: removed ${left.length} leftover container(s)`);
        } catch (error) {
          console.warn(`docker cleanup failed: ${errorMessage(error)}`);
        }
      }
      for (const step of this.steps) {
        await step().catch((error: unknown) => console.warn(`cleanup failed: ${errorMessage(error)}`));
      }
    })();
    return this.cleaning;
  }

  /** `warmups` + `runs` bare sandboxes one after another; the warm-ups are not counted. */
  async measureBare(
    label: string,
    runtime: ContainerRuntime,
    spec: SpecFactory,
    runs: number,
    warmups: number,
  ): Promise<BareSummary> {
    const bare: number[] = [];
    const bareUp: number[] = [];
    for (let i = 0; i < warmups + runs; i += 1) {
      const command = ['/usr/bin/node', '-e', 'process.stdout.write("up")'];
      const timing = await this.bareSpawn(runtime, spec('bare', command));
      if (i < warmups) continue;
      bare.push(timing.exitMs);
      bareUp.push(timing.upMs);
    }
    const summary = {
      bare: { ...stat(bare), samples: bare.map(round) },
      bareUp: { ...stat(bareUp), samples: bareUp.map(round) },
    };
    console.log(
      `${label}: bare spawn median: up ${fmt(summary.bareUp.median)}, gone ${fmt(summary.bare.median)} ms`,
    );
    return summary;
  }

  /**
   * `runs` fresh runner sandboxes one after another, each closed after its first turn; with `keepLast` the last
   * one stays up and is returned (the caller closes it). `onSandbox` sees each sandbox once it answered.
   */
  async measureCold(
    label: string,
    runtime: ContainerRuntime,
    spec: SpecFactory,
    runs: number,
    options: { keepLast?: boolean; onSandbox?: (sandbox: AgentSandbox, index: number) => void } = {},
  ): Promise<{ cold: ColdSummary; kept?: AgentSandbox }> {
    const samples: ColdSample[] = [];
    let kept: AgentSandbox | undefined;
    for (let i = 0; i < runs; i += 1) {
      const keep = options.keepLast === true && i === runs - 1;
      const { sample, sandbox } = await this.coldStart(runtime, spec('runner'), keep);
      samples.push(sample);
      if (keep) kept = sandbox;
      options.onSandbox?.(sandbox, i);
      console.log(
        `${label}: cold ${i + 1}/${runs}: ready ${fmt(sample.readyMs)}, session ${fmt(sample.sessionMs)}, ` +
          `first delta ${fmt(sample.firstDeltaMs)}, turn-end ${fmt(sample.turnEndMs)} ms`,
      );
    }
    return { cold: coldSummary(samples), ...(kept ? { kept } : {}) };
  }

  /** One prompt on a live session: ms from `run/start` sent to `turn-start`, first `text-delta` and `turn-end`. */
  async timedTurn(sandbox: AgentSandbox, text: string): Promise<TurnTiming> {
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
  async closeSandbox(sandbox: AgentSandbox): Promise<number | null> {
    const started = performance.now();
    try {
      await withTimeout(sandbox.close(), 30_000, `${sandbox.name}: close`);
      return performance.now() - started;
    } catch (error) {
      console.warn(`${sandbox.name}: close failed (${errorMessage(error)}); killing it`);
      await sandbox.kill().catch(() => {});
      return null;
    } finally {
      this.live.delete(sandbox);
    }
  }

  /** Registers a sandbox as soon as its spawn resolves, so `cleanup()` can wait for a spawn under way and stop it. */
  private async tracked<T extends { kill(): Promise<void> }>(start: () => Promise<T>): Promise<T> {
    if (this.cleaning) throw new Error('stopping: no new sandboxes');
    const entry = start().then((sandbox) => {
      this.live.add(sandbox);
      return sandbox;
    });
    this.starting.add(entry);
    try {
      return await entry;
    } finally {
      this.starting.delete(entry);
    }
  }

  /** A sandbox running a trivial node: spawn → its first stdout byte, and spawn → the sandbox is gone, ms. */
  private async bareSpawn(
    runtime: ContainerRuntime,
    spec: SandboxSpec,
  ): Promise<{ upMs: number; exitMs: number }> {
    const started = performance.now();
    const proc = await withTimeout(
      this.tracked(() => runtime.spawn(spec)),
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
    this.live.delete(proc);
    if (exit.code !== 0 || upMs === undefined) {
      throw new Error(
        `${spec.name} (${spec.command.join(' ')}) exited with ${exit.code ?? exit.signal}${upMs === undefined ? ', no output' : ''}: ${stderr.join('').trim()}`,
      );
    }
    return { upMs, exitMs };
  }

  private async coldStart(
    runtime: ContainerRuntime,
    spec: SandboxSpec,
    keep: boolean,
  ): Promise<{ sample: ColdSample; sandbox: AgentSandbox }> {
    const started = performance.now();
    const sandbox = await withTimeout(
      this.tracked(() => createSandboxConnection({ runtime, spec, heartbeatTimeoutMs: 30_000 })),
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
      const turn = await this.timedTurn(sandbox, PROMPT);
      const sample: ColdSample = {
        readyMs: readyAt - started,
        sessionMs: sessionAt - started,
        firstDeltaMs: sessionAt - started + turn.firstDeltaMs,
        turnEndMs: sessionAt - started + turn.turnEndMs,
        runStartToTurnStartMs: turn.turnStartMs,
        closeMs: null,
      };
      if (!keep) sample.closeMs = await this.closeSandbox(sandbox);
      return { sample, sandbox };
    } catch (error) {
      await this.closeSandbox(sandbox);
      throw error;
    }
  }
}

function coldSummary(samples: readonly ColdSample[]): ColdSummary {
  const closes = samples.flatMap((c) => (c.closeMs === null ? [] : [c.closeMs]));
  return {
    readyMs: stat(samples.map((c) => c.readyMs)),
    sessionMs: stat(samples.map((c) => c.sessionMs)),
    firstDeltaMs: stat(samples.map((c) => c.firstDeltaMs)),
    turnEndMs: stat(samples.map((c) => c.turnEndMs)),
    runStartToTurnStartMs: stat(samples.map((c) => c.runStartToTurnStartMs)),
    closeMs: closes.length > 0 ? stat(closes) : null,
    samples: samples.map((c) => ({
      readyMs: round(c.readyMs),
      sessionMs: round(c.sessionMs),
      firstDeltaMs: round(c.firstDeltaMs),
      turnEndMs: round(c.turnEndMs),
      runStartToTurnStartMs: round(c.runStartToTurnStartMs),
      closeMs: c.closeMs === null ? null : round(c.closeMs),
    })),
  };
}

async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(full);
    else await fs.chmod(full, 0o644);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
