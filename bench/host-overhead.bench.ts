/**
 * What the host adds to a message, end to end through the real host (`startHost`: HTTP API → inbox → queue →
 * sandbox → outbox → local channel → event stream), the mock provider in each runtime (`process`, `bwrap`,
 * `docker`), next to the bare spawn time of the same runtime measured in the same run.
 * Per warm message (the group's sandbox already running), from the client's clock (same process):
 * - accept: POST sent → `202` (the message is stored);
 * - dispatch: `202` → `run-start` (queue, claim, prompt: "accepted → runner has it");
 * - agent: `run-start` → last `text-delta` (sandbox acquire + the runner's own turn);
 * - deliver: last `text-delta` → `reply` (turn end → outbox row stored → channel send: "→ reply stored");
 * - overhead = dispatch + deliver (what the host adds between accepting and answering), and total.
 * Cold: a new group (no sandbox running) → first `text-delta` and → `reply`, from the POST.
 * Bare: the runtime spawning a trivial node, spawn → its first stdout byte (median of 10 after 2 warm-ups).
 * Run: `pnpm bench host-overhead` (builds first). Env: HOST_BENCH_RUNTIMES (process,bwrap,docker),
 * HOST_BENCH_WARM (200), HOST_BENCH_COLD (3).
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBwrapRuntime, createDockerRuntime, createProcessRuntime } from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage, type SandboxSpec } from '@nanoclaw/core';
import { readServerSentEvents } from '@nanoclaw/testing/loopback';
import { envInt, envString, writeBenchReport } from './report.js';
import { fmt, median, percentile, roundTo, sorted } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(here, '..');
// The host app is not a library dependency of the bench: imported from its build output.
const hostModule = path.join(REPO_ROOT, 'apps/host/dist/index.js');
const WARM = envInt('HOST_BENCH_WARM', 200);
const COLD = envInt('HOST_BENCH_COLD', 3);
const WARMUP = 5;
const RUNTIMES = (envString('HOST_BENCH_RUNTIMES') ?? 'process,bwrap,docker').split(',').map((s) => s.trim());
const DOCKER_IMAGE = 'nanoclaw/agent-runner:local';

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

interface RuntimeResult {
  runtime: string;
  status: 'ok' | 'unavailable' | 'error';
  reason?: string;
  bareSpawnMs?: number;
  warm?: {
    messages: number;
    accept: Percentiles;
    dispatch: Percentiles;
    agent: Percentiles;
    deliver: Percentiles;
    overhead: Percentiles;
    total: Percentiles;
  };
  cold?: { firstTokenMs: number[]; replyMs: number[]; firstTokenMedian: number; replyMedian: number };
}

interface HostEvent {
  type: string;
  folder?: string;
  runId?: string;
  inReplyTo?: string[];
  text?: string;
}

interface Timed {
  at: number;
  event: HostEvent;
}

async function main(): Promise<void> {
  if (!existsSync(hostModule)) throw new Error(`${hostModule} is not built: run pnpm build first`);
  const results: RuntimeResult[] = [];
  for (const name of RUNTIMES) {
    console.log(`--- ${name}`);
    try {
      results.push(await benchRuntime(name));
    } catch (error) {
      console.error(`${name}: ${error instanceof Error ? error.stack : errorMessage(error)}`);
      results.push({ runtime: name, status: 'error', reason: errorMessage(error) });
    }
  }
  printTable(results);
  writeBenchReport('host-overhead', results, { config: { warm: WARM, cold: COLD, warmup: WARMUP } });
  if (results.some((r) => r.status === 'error')) process.exitCode = 1;
}

async function makeRuntime(name: string): Promise<ContainerRuntime | { unavailable: string }> {
  if (name === 'process') return createProcessRuntime({ unsafeAllowNoIsolation: true });
  const runtime =
    name === 'bwrap'
      ? createBwrapRuntime({})
      : createDockerRuntime({ hostEnv: { ...process.env, DOCKER_HOST: dockerHost() } });
  const available = await runtime.available();
  if (!available.ok) return { unavailable: `${available.reason} (${available.hint})` };
  return runtime;
}

function dockerHost(): string | undefined {
  const ciSocket = path.join(REPO_ROOT, '.ci/state/docker.sock');
  return envString('DOCKER_HOST') ?? (existsSync(ciSocket) ? `unix://${ciSocket}` : undefined);
}

async function benchRuntime(name: string): Promise<RuntimeResult> {
  const runtime = await makeRuntime(name);
  if ('unavailable' in runtime) {
    console.log(`${name}: unavailable: ${runtime.unavailable}`);
    return { runtime: name, status: 'unavailable', reason: runtime.unavailable };
  }
  const host = (await import(hostModule)) as typeof import('../apps/host/dist/index.js');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `nanoclaw-host-bench-${name}-`));
  await fs.chmod(root, 0o755);
  const config = host.loadConfig({
    env: {
      NANOCLAW_HTTP_PORT: '0',
      AGENT_PROVIDER: 'mock',
      LOG_LEVEL: envString('HOST_BENCH_LOG') ?? 'silent',
      TZ: 'UTC',
    },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
  const logger = host.createLogger({ level: config.LOG_LEVEL, format: 'json', destination: process.stderr });
  const running = await host.startHost(config, logger, { runtime });
  const token = (await fs.readFile(path.join(config.NANOCLAW_DATA_DIR, 'api-token'), 'utf8')).trim();
  const events: Timed[] = [];
  const stream = await openEvents(running.url, token, (event) =>
    events.push({ at: performance.now(), event }),
  );
  const post = async (folder: string, text: string) => {
    const sent = performance.now();
    const res = await fetch(`${running.url}/api/v1/groups/${folder}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    const body = (await res.json()) as { messageId: string };
    if (res.status !== 202) throw new Error(`POST: ${res.status} ${JSON.stringify(body)}`);
    return { sent, accepted: performance.now(), messageId: body.messageId };
  };
  const waitFor = async (check: () => Timed | undefined, what: string, ms = 120_000): Promise<Timed> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = check();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: nothing within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const result: RuntimeResult = { runtime: name, status: 'ok' };
  try {
    // Cold: a fresh group each, no sandbox running for it.
    const firstToken: number[] = [];
    const reply: number[] = [];
    for (let i = 0; i < COLD; i += 1) {
      const folder = `cold-${i}`;
      const created = await fetch(`${running.url}/api/v1/groups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ folder }),
      });
      if (created.status !== 201) throw new Error(`add group: ${created.status}`);
      const m = await post(folder, '@Andy hello');
      const start = await waitFor(() => runStartOf(events, m.messageId), 'cold run-start');
      const delta = await waitFor(
        () => events.find((e) => e.event.type === 'text-delta' && e.event.runId === start.event.runId),
        'cold first token',
      );
      const answer = await waitFor(() => replyOf(events, m.messageId), 'cold reply');
      firstToken.push(delta.at - m.sent);
      reply.push(answer.at - m.sent);
      console.log(
        `${name}: cold ${i + 1}/${COLD}: first token ${fmt(delta.at - m.sent)} ms, reply ${fmt(answer.at - m.sent)} ms`,
      );
    }
    result.cold = {
      firstTokenMs: firstToken.map(round),
      replyMs: reply.map(round),
      firstTokenMedian: round(median(firstToken)),
      replyMedian: round(median(reply)),
    };

    // Warm: one group, its sandbox up, one message at a time.
    const rows: Array<{ accept: number; dispatch: number; agent: number; deliver: number; total: number }> =
      [];
    for (let i = 0; i < WARMUP + WARM; i += 1) {
      const m = await post('main', `warm ${i}`);
      const start = await waitFor(() => runStartOf(events, m.messageId), 'run-start');
      const answer = await waitFor(() => replyOf(events, m.messageId), 'reply');
      const deltas = events.filter(
        (e) => e.event.type === 'text-delta' && e.event.runId === start.event.runId && e.at <= answer.at,
      );
      const lastDelta = deltas.at(-1);
      if (!lastDelta) throw new Error('a reply without text deltas');
      if (i < WARMUP) continue;
      rows.push({
        accept: m.accepted - m.sent,
        dispatch: start.at - m.accepted,
        agent: lastDelta.at - start.at,
        deliver: answer.at - lastDelta.at,
        total: answer.at - m.sent,
      });
    }
    const pick = (key: keyof (typeof rows)[number]) => percentiles(rows.map((r) => r[key]));
    result.warm = {
      messages: rows.length,
      accept: pick('accept'),
      dispatch: pick('dispatch'),
      agent: pick('agent'),
      deliver: pick('deliver'),
      overhead: percentiles(rows.map((r) => r.dispatch + r.deliver)),
      total: pick('total'),
    };
    console.log(
      `${name}: warm x${rows.length}: overhead p50 ${fmt(result.warm.overhead.p50)} / p99 ${fmt(result.warm.overhead.p99)} ms, total p50 ${fmt(result.warm.total.p50)} ms`,
    );
    // Bare spawn, same runtime, after the runs (docker: the image the host built for its agents).
    result.bareSpawnMs = round(await bareSpawn(runtime, name));
  } finally {
    stream.close();
    await running.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
  return result;
}

function runStartOf(events: Timed[], messageId: string): Timed | undefined {
  return events.find((e) => e.event.type === 'run-start' && e.event.inReplyTo?.includes(messageId));
}

function replyOf(events: Timed[], messageId: string): Timed | undefined {
  return events.find((e) => e.event.type === 'reply' && e.event.inReplyTo?.includes(messageId));
}

async function bareSpawn(runtime: ContainerRuntime, name: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 12; i += 1) {
    const spec: SandboxSpec = {
      name: `nc-host-bench-bare-${process.pid}-${i}`,
      ...(name === 'docker' ? { image: DOCKER_IMAGE } : {}),
      command: ['/usr/bin/node', '-e', 'process.stdout.write("up")'],
      cwd: '/tmp',
      env: { HOME: '/tmp', PATH: '/usr/bin:/bin' },
      mounts: [],
      network: 'none',
      limits: { memoryMb: 256, cpus: 1, pids: 64 },
      labels: { 'nanoclaw.install': `host-bench-${process.pid}` },
      user: { uid: 1000, gid: 1000 },
    };
    const started = performance.now();
    const proc = await runtime.spawn(spec);
    proc.stdin.end();
    const up = await new Promise<number>((resolve, reject) => {
      proc.stdout.once('data', () => resolve(performance.now() - started));
      void proc.exited.then((exit) => reject(new Error(`bare spawn exited ${exit.code} without output`)));
    });
    await proc.exited;
    if (i >= 2) samples.push(up);
  }
  return median(samples);
}

/** The host's event stream, each event to `onEvent` until `close()`. */
async function openEvents(url: string, token: string, onEvent: (event: HostEvent) => void) {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (!res.body) throw new Error('no event stream');
  void readServerSentEvents(res.body, (data) => onEvent(JSON.parse(data) as HostEvent));
  return { close: () => controller.abort() };
}

function printTable(results: RuntimeResult[]): void {
  const pp = (p: Percentiles | undefined) => (p ? `${fmt(p.p50)} / ${fmt(p.p99)}` : '');
  console.log(
    `\nms, p50 / p99 over ${WARM} warm messages; overhead = dispatch (202 → run-start) + deliver (last token → reply); ` +
      `cold = POST → first token / → reply on a new group, median of ${COLD}; bare = runtime spawn → first byte`,
  );
  console.table(
    results.map((r) => ({
      runtime: r.runtime,
      status: r.status,
      'bare spawn': r.bareSpawnMs !== undefined ? fmt(r.bareSpawnMs) : '',
      'accept (202)': pp(r.warm?.accept),
      dispatch: pp(r.warm?.dispatch),
      'agent (runner)': pp(r.warm?.agent),
      deliver: pp(r.warm?.deliver),
      'HOST OVERHEAD': pp(r.warm?.overhead),
      total: pp(r.warm?.total),
      'cold 1st token': r.cold ? fmt(r.cold.firstTokenMedian) : '',
      'cold reply': r.cold ? fmt(r.cold.replyMedian) : '',
    })),
  );
  for (const r of results) if (r.reason) console.log(`${r.runtime}: ${r.reason}`);
}

function percentiles(values: number[]): Percentiles {
  const s = sorted(values);
  return { p50: round(percentile(s, 0.5)), p99: round(percentile(s, 0.99)), max: round(s.at(-1) ?? 0) };
}

/** This bench keeps 0.01 ms in its JSON report. */
function round(ms: number): number {
  return roundTo(ms, 2);
}

await main();
