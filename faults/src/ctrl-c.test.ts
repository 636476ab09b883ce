/**
 * Ctrl-C in the terminal that runs `nanoclaw start`, while a turn is in flight, in each sandbox runtime (process,
 * bwrap, docker). The tty driver sends SIGINT to the whole foreground process group, so the host is started as the
 * leader of its own group and SIGINT goes to all of it (`process.kill(-pgid)`), exactly as a terminal does.
 *
 * What must hold:
 * - one Ctrl-C: the sandbox is not hit (it runs outside the host's group), the host drains the turn, delivers its
 *   reply before it exits, exits 0 with no uncaught exception, and leaves no sandbox behind; after a restart
 *   nothing is re-run: each message answered exactly once, none lost;
 * - two Ctrl-Cs (force), or kill -9 of the host: the host is gone at once (exit 130 / SIGKILL), its sandboxes go with
 *   it (bwrap --die-with-parent; the docker client's and the process runtime's runner's stdin closes), and after a
 *   restart the message that was in flight is run again and answered exactly once.
 * Each mock turn sleeps 2 s (`/sleep`). Env: FAULTS_CTRL_C_RUNS (5) Ctrl-Cs per runtime, FAULTS_CTRL_C_FORCE_RUNS (1)
 * of each forced exit per runtime, FAULTS_CTRL_C_RUNTIMES (process,bwrap,docker).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  bwrapAvailability,
  dockerAvailability,
  IN_CI,
  testDockerRuntime,
} from '@nanoclaw/container-runner/test';
import { openDatabase } from '@nanoclaw/db';
import { freePort } from '@nanoclaw/testing/loopback';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi, type HostEvent, sleep, until } from './api.js';
import { type HostProcess, scratchRoot, startHost } from './host-process.js';
import { alive, descendants } from './processes.js';
import { writeSummary } from './results.js';

const RUNS = Number(process.env.FAULTS_CTRL_C_RUNS ?? 5);
/** The forced exits (second Ctrl-C, kill -9) per runtime. */
const FORCE_RUNS = Number(process.env.FAULTS_CTRL_C_FORCE_RUNS ?? 1);
const RUNTIMES = (process.env.FAULTS_CTRL_C_RUNTIMES ?? 'process,bwrap,docker').split(',');
const TURN_MS = 2_000;
/** What a crash of the host looks like in its output. */
const CRASH = /uncaught|unhandled|ERR_STREAM_DESTROYED|Cannot call write after a stream was destroyed/i;
const TOKEN = /\[(?:c|f)-\d+\]/g;

interface TimedEvent {
  at: number;
  event: HostEvent;
}

/** The sandboxes a host started: their launcher processes (bwrap, the docker client, the process runtime's runner). */
interface SandboxTrace {
  pids: number[];
  containers: string[];
}

for (const runtime of RUNTIMES) {
  const availability = await runtimeAvailability(runtime);
  describe.skipIf(availability !== true)(`Ctrl-C during a turn (${runtime})`, () => {
    const roots: string[] = [];
    afterAll(async () => {
      // Whatever a failed case left running (each host leads its own group: nothing else would stop it).
      await Promise.all(hosts.splice(0).map((started) => started.kill9()));
      for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
    });

    it(`${RUNS} times: the turn is drained and answered before the exit (0), nothing is re-run after the restart`, async () => {
      const root = scratchRoot(`ctrl-c-${runtime}`);
      roots.push(root);
      const chat = await openChat(root, runtime);
      await chat.warmUp();
      const drains: number[] = [];
      const posted = new Map<string, string>(); // token → messageId
      for (let n = 1; n <= RUNS; n += 1) {
        const token = `[c-${n}]`;
        const message = await chat.postInFlight(`/sleep ${TURN_MS}\nquestion ${token}`);
        posted.set(token, message.messageId);
        const trace = traceSandboxes(chat.host());
        const signalledAt = Date.now();
        chat.host().interrupt();
        const exit = await chat.host().exited;
        drains.push(Date.now() - signalledAt);
        const output = chat.host().output();
        expect(exit, `exit of the host (Ctrl-C ${n})\n${output.slice(-3_000)}`).toEqual({
          code: 0,
          signal: null,
        });
        expect(output.match(CRASH)?.[0], 'the host crashed').toBeUndefined();
        // The reply reached the chat before the host exited: the drain delivered it.
        const replies = chat.replies(message.messageId);
        expect(replies.length, `reply to ${token} before the exit`).toBe(1);
        await expectGone(trace, runtime, 5_000);
        await chat.restart();
      }
      // A restarted host finds nothing left to do: no message is run again.
      await sleep(TURN_MS + 1_000);
      const runStarts = chat.events().filter((e) => e.event.type === 'run-start');
      const rerun = [...posted.values()].filter(
        (id) => runStarts.filter((e) => e.event.inReplyTo?.includes(id)).length !== 1,
      );
      const final = await chat.stop();
      expect(final).toEqual({ code: 0, signal: null });
      const counts = await answerCounts(root, [...posted.keys()]);
      const summary = {
        runtime,
        ctrlCs: RUNS,
        turnMs: TURN_MS,
        exitCodes: 'all 0',
        drainMs: summarize(drains),
        lost: counts.lost.length,
        answeredTwice: counts.twice.length,
        rerunAfterRestart: rerun.length,
      };
      console.log(`[ctrl-c ${runtime}] ${JSON.stringify(summary)}`);
      writeSummary(`ctrl-c-${runtime}`, summary);
      expect(counts.lost, 'messages not answered').toEqual([]);
      expect(counts.twice, 'messages answered more than once').toEqual([]);
      expect(rerun, 'messages run again after the restart').toEqual([]);
    });

    for (const how of ['second Ctrl-C', 'kill -9'] as const) {
      it(`${how} mid-turn, ${FORCE_RUNS} time(s): the host is gone at once, its sandbox too; after the restart the turn runs again and is answered once`, async () => {
        const root = scratchRoot(`ctrl-c-force-${runtime}`);
        roots.push(root);
        const chat = await openChat(root, runtime);
        await chat.warmUp();
        const exits: number[] = [];
        const gone: number[] = [];
        const tokens: string[] = [];
        for (let n = 1; n <= FORCE_RUNS; n += 1) {
          const token = `[f-${n}]`;
          tokens.push(token);
          const message = await chat.postInFlight(`/sleep ${TURN_MS}\nforced ${token}`);
          const trace = traceSandboxes(chat.host());
          const signalledAt = Date.now();
          if (how === 'kill -9') chat.host().child.kill('SIGKILL');
          else {
            chat.host().interrupt();
            await until(() => /shutting down/.test(chat.host().output()), 5_000, 'the first Ctrl-C noticed');
            chat.host().interrupt();
          }
          const exit = await chat.host().exited;
          exits.push(Date.now() - signalledAt);
          const output = chat.host().output();
          expect(exit, output.slice(-3_000)).toEqual(
            how === 'kill -9' ? { code: null, signal: 'SIGKILL' } : { code: 130, signal: null },
          );
          expect(output.match(CRASH)?.[0], 'the host crashed').toBeUndefined();
          expect(chat.replies(message.messageId), 'no reply before the exit').toEqual([]);
          gone.push(await expectGone(trace, runtime, 10_000));
          const restarted = await chat.restart();
          await until(() => chat.replies(message.messageId).length > 0, 60_000, `the reply to ${token}`);
          // The restarted host found the turn unfinished and ran it again (its only run).
          expect(restarted.output()).toMatch(/recovered work left by the last run/);
          const runs = (restarted.output().match(/"msg":"run start"/g) ?? []).length;
          expect(runs, 'the turn is run again after the restart').toBe(1);
        }
        await sleep(1_000);
        expect(await chat.stop()).toEqual({ code: 0, signal: null });
        const counts = await answerCounts(root, tokens);
        const summary = {
          runtime,
          how,
          runs: FORCE_RUNS,
          exitMs: summarize(exits),
          sandboxesGoneAfterMs: summarize(gone),
          rerunAfterRestart: tokens.length,
          lost: counts.lost.length,
          answeredTwice: counts.twice.length,
        };
        console.log(`[ctrl-c ${how} ${runtime}] ${JSON.stringify(summary)}`);
        writeSummary(`ctrl-c-${how === 'kill -9' ? 'kill9' : 'force'}-${runtime}`, summary);
        expect(counts.lost).toEqual([]);
        expect(counts.twice).toEqual([]);
      });
    }
  });
}

/** Every host the cases started. */
const hosts: HostProcess[] = [];

async function startInOwnGroup(root: string, port: number, runtime: string): Promise<HostProcess> {
  const host = await startHost({ root, port, runtime, ownProcessGroup: true, readyTimeoutMs: 180_000 });
  hosts.push(host);
  return host;
}

/** A host in `root` (its own process group) and the chat's events across its restarts. */
async function openChat(root: string, runtime: string) {
  const port = await freePort();
  const events: TimedEvent[] = [];
  let host = await startInOwnGroup(root, port, runtime);
  let api = createApi(host.url, host.token);
  let stream = await api.events((event) => events.push({ at: Date.now(), event }));
  const runsHandedOver = () => (host.output().match(/"msg":"run start"/g) ?? []).length;
  const replies = (messageId: string) =>
    events.filter((e) => e.event.type === 'reply' && e.event.inReplyTo?.includes(messageId));
  return {
    host: () => host,
    events: () => events,
    replies,
    /** The group's first sandbox (a docker image check, bwrap's runtime tree) before any Ctrl-C. */
    async warmUp() {
      const warm = await api.postMessage('main', 'warm-up');
      await until(() => replies(warm.messageId).length > 0, 180_000, 'the warm-up reply');
    },
    /** Posts a message and resolves once the runner has its turn (handed to the sandbox, run/start delivered). */
    async postInFlight(text: string) {
      const before = runsHandedOver();
      const message = await api.postMessage('main', text);
      await until(() => runsHandedOver() > before, 60_000, 'the run handed to the sandbox');
      await sleep(300);
      return message;
    },
    async restart() {
      stream.close();
      host = await startInOwnGroup(root, port, runtime);
      api = createApi(host.url, host.token);
      stream = await api.events((event) => events.push({ at: Date.now(), event }));
      return host;
    },
    /** A clean Ctrl-C with nothing in flight; the exit. */
    async stop() {
      host.interrupt();
      const exit = await host.exited;
      stream.close();
      return exit;
    },
  };
}

/** Each token's sent replies in the outbox: lost (none) and answered more than once. */
async function answerCounts(root: string, tokens: string[]): Promise<{ lost: string[]; twice: string[] }> {
  const handle = await openDatabase({ path: path.join(root, 'data', 'nanoclaw.db'), migrate: false });
  try {
    const sent = await handle.db
      .selectFrom('outbound_messages')
      .select(['text'])
      .where('status', '=', 'sent')
      .execute();
    const count = new Map<string, number>();
    for (const row of sent)
      for (const token of row.text.match(TOKEN) ?? []) count.set(token, (count.get(token) ?? 0) + 1);
    return {
      lost: tokens.filter((token) => !count.has(token)),
      twice: tokens.filter((token) => (count.get(token) ?? 0) > 1),
    };
  } finally {
    await handle.close();
  }
}

/** The host's sandboxes now: its direct children that launch one, and the docker containers they run. */
function traceSandboxes(host: HostProcess): SandboxTrace {
  const hostPid = host.child.pid ?? 0;
  const launchers = descendants(hostPid).filter(
    (p) =>
      p.ppid === hostPid &&
      (p.comm === 'bwrap' || /\bdocker run\b/.test(p.cmdline) || /main\.js/.test(p.cmdline)),
  );
  const containers = launchers.flatMap((p) => /--name (\S+)/.exec(p.cmdline)?.[1] ?? []);
  return { pids: launchers.map((p) => p.pid), containers };
}

/** Waits until every traced sandbox is gone (processes and containers); returns how long that took. */
async function expectGone(trace: SandboxTrace, runtime: string, timeoutMs: number): Promise<number> {
  expect(trace.pids.length, `a ${runtime} sandbox was running`).toBeGreaterThan(0);
  const started = Date.now();
  await until(
    async () =>
      trace.pids.every((pid) => !alive(pid)) && (await liveContainers(trace.containers)).length === 0,
    timeoutMs,
    `the host's sandboxes gone (${JSON.stringify(trace)})`,
  );
  return Date.now() - started;
}

async function liveContainers(names: string[]): Promise<string[]> {
  const docker = testDockerRuntime();
  const found = await Promise.all(names.map(async (name) => ((await docker.inspect(name)) ? [name] : [])));
  return found.flat();
}

async function runtimeAvailability(runtime: string): Promise<true | string> {
  if (runtime === 'process') return true;
  const available = runtime === 'bwrap' ? await bwrapAvailability() : await dockerAvailability();
  if (available.ok) return true;
  // CI proves every runtime: a missing one fails there (bwrap too, which other suites only require when asked).
  if (available.required || IN_CI)
    throw new Error(`${runtime} is required here (CI) but unavailable: ${available.reason}`);
  console.warn(`[faults] ${runtime} unavailable, its Ctrl-C cases skipped: ${available.reason}`);
  return available.reason;
}

function summarize(values: number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? 0,
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    max: sorted.at(-1) ?? 0,
  };
}
