/**
 * Host memory: the real `nanoclaw start` (apps/host/dist/cli.js) in its own process, its resident set (VmRSS of
 * that process only; sandboxes are other processes) read from /proc:
 * - fresh (main group only), then with 1,000 groups and 10,000 scheduled tasks added through the HTTP API
 *   (9,900 yearly crons that stay idle, 100 one-minute intervals in 10 groups that fire through the agents);
 * - a soak: messages at HOST_BENCH_SOAK_RATE per second (default 5) round-robin to 20 groups for the soak length,
 *   RSS sampled every 10 s; the slope (MB/min) is a least-squares fit over the samples after the first minute.
 * Agents run in the `process` runtime (host memory is the figure; no sandbox cost is counted either way).
 * Run: `pnpm bench host-rss` (builds first), or `node --import tsx bench/host-rss.bench.ts --soak-minutes 10`.
 * Env: HOST_BENCH_SOAK_MINUTES (10), HOST_BENCH_GROUPS (1000), HOST_BENCH_TASKS (10000), HOST_BENCH_SOAK_RATE (5).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@nanoclaw/testing/loopback';
import { envInt, envString, writeBenchReport } from './report.js';
import { round } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../apps/host/dist/cli.js');
const argMinutes = process.argv.indexOf('--soak-minutes');
const SOAK_MINUTES =
  argMinutes > 0 ? Number(process.argv[argMinutes + 1]) : Number(envString('HOST_BENCH_SOAK_MINUTES') ?? 10);
const GROUPS = envInt('HOST_BENCH_GROUPS', 1_000);
const TASKS = envInt('HOST_BENCH_TASKS', 10_000);
const RATE = envInt('HOST_BENCH_SOAK_RATE', 5);
const FIRING_TASKS = 100;
const SOAK_GROUPS = 20;
const SAMPLE_MS = 10_000;

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run pnpm build first`);
  if (!(SOAK_MINUTES > 0)) throw new Error('--soak-minutes must be a positive number');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-rss-bench-'));
  await fs.chmod(root, 0o755);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      NANOCLAW_HTTP_PORT: String(port),
      NANOCLAW_RUNTIME: 'process',
      AGENT_PROVIDER: 'mock',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      TZ: 'UTC',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await ready(child);
    const url = `http://127.0.0.1:${port}`;
    const token = readFileSync(path.join(root, 'data', 'api-token'), 'utf8').trim();
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    };
    const pid = child.pid ?? 0;
    await settle();
    const fresh = rssMb(pid);
    console.log(`fresh host: ${fresh.toFixed(1)} MB`);

    const setupStarted = performance.now();
    const folders = Array.from({ length: GROUPS - 1 }, (_, i) => `g${String(i + 1).padStart(4, '0')}`);
    await pool(folders, 8, (folder) => call('POST', '/api/v1/groups', { folder }));
    const all = ['main', ...folders];
    const taskIndexes = Array.from({ length: TASKS }, (_, i) => i);
    await pool(taskIndexes, 8, (i) => {
      const firing = i < FIRING_TASKS;
      const folder = firing ? (all[1 + (i % 10)] ?? 'main') : (all[i % all.length] ?? 'main');
      return call('POST', '/api/v1/tasks', {
        folder,
        prompt: `task ${i}`,
        schedule: firing
          ? { kind: 'interval', everyMs: 60_000 }
          : { kind: 'cron', expression: `${i % 60} 3 1 1 *` },
      });
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    await settle();
    const loaded = rssMb(pid);
    console.log(
      `with ${GROUPS} groups and ${TASKS} tasks: ${loaded.toFixed(1)} MB (set up in ${setupSeconds.toFixed(0)} s)`,
    );

    // Soak: steady messages, replies counted from the event stream.
    let replies = 0;
    const controller = new AbortController();
    const stream = await fetch(`${url}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    void (async () => {
      const reader = stream.body?.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) return;
          replies += chunk.value.split('event: reply').length - 1;
        }
      } catch {
        // closed
      }
    })();
    const samples: Array<{ minute: number; mb: number }> = [];
    const soakStarted = Date.now();
    const soakMs = SOAK_MINUTES * 60_000;
    let sent = 0;
    let failures = 0;
    const sender = setInterval(() => {
      const folder = all[1 + (sent % SOAK_GROUPS)] ?? 'main';
      sent += 1;
      call('POST', `/api/v1/groups/${folder}/messages`, { text: `@Andy soak ${sent}` }).catch(() => {
        failures += 1;
      });
    }, 1000 / RATE);
    samples.push({ minute: 0, mb: rssMb(pid) });
    while (Date.now() - soakStarted < soakMs) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(SAMPLE_MS, soakMs - (Date.now() - soakStarted))),
      );
      const sample = { minute: (Date.now() - soakStarted) / 60_000, mb: rssMb(pid) };
      samples.push(sample);
      console.log(
        `soak ${sample.minute.toFixed(1)} min: ${sample.mb.toFixed(1)} MB, ${sent} sent, ${replies} replies`,
      );
    }
    clearInterval(sender);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    controller.abort();
    const runs = (await call('GET', '/api/v1/runs?limit=1000')) as { runs?: unknown[] };
    const fitted = samples.filter((s) => s.minute >= Math.min(1, SOAK_MINUTES / 2));
    const slope = slopeOf(fitted);
    const result = {
      freshMb: round(fresh),
      groups: GROUPS,
      tasks: TASKS,
      setupSeconds: round(setupSeconds),
      loadedMb: round(loaded),
      soak: {
        minutes: SOAK_MINUTES,
        ratePerSecond: RATE,
        messagesSent: sent,
        postFailures: failures,
        replies,
        taskRunsLogged: runs.runs?.length ?? null,
        startMb: round(samples[0]?.mb ?? 0),
        endMb: round(samples.at(-1)?.mb ?? 0),
        maxMb: round(Math.max(...samples.map((s) => s.mb))),
        slopeMbPerMinute: Math.round(slope * 1000) / 1000,
        fittedFromMinute: round(fitted[0]?.minute ?? 0),
        samples: samples.map((s) => ({ minute: round(s.minute), mb: round(s.mb) })),
      },
    };
    console.table([
      {
        'fresh MB': result.freshMb,
        [`${GROUPS} groups + ${TASKS} tasks MB`]: result.loadedMb,
        'soak min': SOAK_MINUTES,
        'soak start/end/max MB': `${result.soak.startMb} / ${result.soak.endMb} / ${result.soak.maxMb}`,
        'slope MB/min': result.soak.slopeMbPerMinute,
        'sent / replies': `${sent} / ${replies}`,
      },
    ]);
    writeBenchReport('host-rss', result, {
      config: { groups: GROUPS, tasks: TASKS, soakMinutes: SOAK_MINUTES, rate: RATE, runtime: 'process' },
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.rm(root, { recursive: true, force: true });
  }
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`host not ready:\n${output.slice(-2000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      if (output.length < 100_000) output += chunk.toString();
      if (output.includes('NanoClaw host ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    // Keep draining the logs for the whole run, or the host would block on a full pipe.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`host exited ${code}:\n${output.slice(-2000)}`)));
  });
}

/** Lets start-up garbage be collected before a reading. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function slopeOf(points: Array<{ minute: number; mb: number }>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.minute, 0) / n;
  const my = points.reduce((a, p) => a + p.mb, 0) / n;
  const num = points.reduce((a, p) => a + (p.minute - mx) * (p.mb - my), 0);
  const den = points.reduce((a, p) => a + (p.minute - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

await main();
