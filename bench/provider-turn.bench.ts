/**
 * Turn time through our providers vs the agent runtime's own CLI, both against the same loopback fake model
 * (@nanoclaw/testing), on the host (no sandbox), one provider at a time:
 * - provider cold: `startSession` + the first turn (prompt → `turn-end`), a fresh session each (median of 3);
 * - provider warm: further turns on one session (p50 / p99 of 20);
 * - runtime cold: the runtime's own one-shot CLI against the same fake, process start → exit (median of 3):
 *   codex `exec`, claude `-p`, opencode `run`. The difference to "provider cold" is what our provider adds.
 * Providers: codex (`codex app-server`, fake Responses API), claude (Agent SDK → Claude Code, fake Anthropic
 * Messages API), opencode (`opencode serve`, fake Chat Completions). A provider or runtime that cannot run here
 * gets a row saying why. Run: `pnpm bench provider-turn`. Env: PROVIDER_BENCH (codex,claude,opencode),
 * PROVIDER_BENCH_WARM (20), PROVIDER_BENCH_COLD (3).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '@nanoclaw/core';
import { envInt, envString, writeBenchReport } from './report.js';
import { fmt, median, round } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = path.resolve(here, '../packages');
const WARM = envInt('PROVIDER_BENCH_WARM', 20);
const COLD = envInt('PROVIDER_BENCH_COLD', 3);
const SELECTED = (envString('PROVIDER_BENCH') ?? 'codex,claude,opencode').split(',').map((s) => s.trim());

interface AgentEventLike {
  type: string;
  status?: string;
  text?: string;
}
interface SessionLike {
  prompt(input: { text: string }): AsyncIterable<AgentEventLike>;
  close(): Promise<void>;
}
interface ProviderLike {
  startSession(options: Record<string, unknown>): Promise<SessionLike>;
  describeSession?(options: Record<string, unknown>): Promise<Record<string, unknown>>;
}
interface FakeLike {
  baseUrl: string;
  close(): Promise<void>;
}

interface Setup {
  provider: ProviderLike;
  fake: FakeLike;
  env: (world: World) => Record<string, string>;
  /** The runtime's own one-shot CLI: binary and args, from the session plan. */
  cli: (
    plan: Record<string, unknown>,
    world: World,
  ) => { binary: string; args: string[]; env: Record<string, string> };
}
interface World {
  root: string;
  cwd: string;
  home: string;
}

interface Result {
  provider: string;
  status: 'ok' | 'error' | 'skipped';
  reason?: string;
  providerColdMs?: number[];
  providerColdMedian?: number;
  providerWarm?: { turns: number; p50: number; p99: number; max: number };
  runtimeColdMs?: number[];
  runtimeColdMedian?: number;
  runtimeReason?: string;
}

async function load(name: string): Promise<Setup> {
  const testing = await import(path.join(PACKAGES, 'testing/dist/index.js'));
  if (name === 'codex') {
    const codex = await import(path.join(PACKAGES, 'provider-codex/dist/index.js'));
    const fake = (await testing.createFakeResponsesServer()) as FakeLike;
    return {
      provider: codex.createCodexProvider({
        endpoint: { requestMaxRetries: 0, streamMaxRetries: 0, streamIdleTimeoutMs: 20_000 },
      }),
      fake,
      env: (w) => ({
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: w.home,
        CODEX_HOME: path.join(w.home, '.codex'),
        OPENAI_BASE_URL: fake.baseUrl,
        CODEX_MODEL: 'fake-model',
      }),
      cli: (plan, w) => ({
        binary: String(plan.binary),
        args: ['exec', '--skip-git-repo-check', '-C', w.cwd, 'hello'],
        env: plan.childEnv as Record<string, string>,
      }),
    };
  }
  if (name === 'claude') {
    const claude = await import(path.join(PACKAGES, 'provider-claude/dist/index.js'));
    const claudeInternal = await import(path.join(PACKAGES, 'provider-claude/dist/internal.js'));
    const fake = (await testing.createFakeAnthropicServer()) as FakeLike;
    /** What both the provider's session and the bare `claude -p` see. */
    const anthropicEnv = (w: World) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: w.home,
      TMPDIR: path.join(w.root, 'tmp'),
      ANTHROPIC_BASE_URL: fake.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-fake',
    });
    return {
      provider: claude.createClaudeProvider(),
      fake,
      env: (w) => ({
        ...anthropicEnv(w),
        CLAUDE_CODE_TMPDIR: path.join(w.root, 'tmp'),
        CLAUDE_MODEL: 'claude-sonnet-4-5',
      }),
      cli: (_plan, w) => {
        const binary = claudeInternal.resolveClaudeBinary();
        if (!binary) throw new Error('no claude binary');
        return {
          binary,
          args: ['-p', 'hello', '--model', 'claude-sonnet-4-5'],
          env: anthropicEnv(w),
        };
      },
    };
  }
  const opencode = await import(path.join(PACKAGES, 'provider-opencode/dist/index.js'));
  const fake = (await testing.createFakeChatCompletionsServer()) as FakeLike;
  return {
    provider: opencode.createOpencodeProvider(),
    fake,
    env: (w) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: w.home,
      OPENAI_BASE_URL: fake.baseUrl,
      OPENCODE_MODEL: 'fake-model',
    }),
    cli: (plan) => {
      const env = (plan.childEnv ?? plan.env) as Record<string, string> | undefined;
      if (!plan.binary || !env)
        throw new Error(`no binary/env in the session plan (${Object.keys(plan).join(', ')})`);
      return { binary: String(plan.binary), args: ['run', 'hello', '-m', 'nanoclaw/fake-model'], env };
    },
  };
}

function world(name: string): World {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-provider-bench-${name}-`));
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  for (const dir of [cwd, home, path.join(root, 'tmp')]) fs.mkdirSync(dir, { recursive: true });
  return { root, cwd, home };
}

async function turn(session: SessionLike, text: string): Promise<number> {
  const started = performance.now();
  let end: AgentEventLike | undefined;
  for await (const event of session.prompt({ text })) if (event.type === 'turn-end') end = event;
  if (end?.status !== 'completed') throw new Error(`turn did not complete: ${JSON.stringify(end)}`);
  return performance.now() - started;
}

function runCli(
  cli: { binary: string; args: string[]; env: Record<string, string> },
  cwd: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cli.binary, cli.args, { cwd, env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - started);
      else
        reject(
          new Error(`${path.basename(cli.binary)} ${cli.args[0]} exited ${code}: ${output.slice(-400)}`),
        );
    });
  });
}

async function bench(name: string): Promise<Result> {
  let setup: Setup;
  try {
    setup = await load(name);
  } catch (error) {
    return { provider: name, status: 'skipped', reason: `cannot load: ${errorMessage(error)}` };
  }
  const result: Result = { provider: name, status: 'ok' };
  const worlds: World[] = [];
  try {
    const cold: number[] = [];
    let warmSession: SessionLike | undefined;
    for (let i = 0; i < COLD; i += 1) {
      const w = world(name);
      worlds.push(w);
      const started = performance.now();
      const session = await setup.provider.startSession({ cwd: w.cwd, env: setup.env(w) });
      await turn(session, 'hello');
      cold.push(performance.now() - started);
      if (i === COLD - 1) warmSession = session;
      else await session.close();
    }
    result.providerColdMs = cold.map(round);
    result.providerColdMedian = round(median(cold));
    const warm: number[] = [];
    if (warmSession) {
      for (let i = 0; i < WARM; i += 1) warm.push(await turn(warmSession, `hello ${i}`));
      await warmSession.close();
    }
    const s = [...warm].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
    result.providerWarm = {
      turns: warm.length,
      p50: round(at(0.5)),
      p99: round(at(0.99)),
      max: round(s.at(-1) ?? 0),
    };
    console.log(
      `${name}: provider cold ${fmt(result.providerColdMedian)} ms, warm p50 ${fmt(result.providerWarm.p50)} ms`,
    );
  } catch (error) {
    result.status = 'error';
    result.reason = errorMessage(error);
  }
  try {
    const runtime: number[] = [];
    for (let i = 0; i < COLD; i += 1) {
      const w = world(name);
      worlds.push(w);
      const options = { cwd: w.cwd, env: setup.env(w) };
      const plan = setup.provider.describeSession ? await setup.provider.describeSession(options) : {};
      runtime.push(await runCli(setup.cli(plan, w), w.cwd));
    }
    result.runtimeColdMs = runtime.map(round);
    result.runtimeColdMedian = round(median(runtime));
    console.log(`${name}: runtime's own CLI cold ${fmt(result.runtimeColdMedian)} ms`);
  } catch (error) {
    result.runtimeReason = errorMessage(error).slice(0, 300);
    console.log(`${name}: runtime's own CLI: ${result.runtimeReason}`);
  }
  await setup.fake.close().catch(() => undefined);
  for (const w of worlds) fs.rmSync(w.root, { recursive: true, force: true });
  return result;
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (const name of ['codex', 'claude', 'opencode']) {
    if (!SELECTED.includes(name)) {
      results.push({ provider: name, status: 'skipped', reason: 'not in PROVIDER_BENCH' });
      continue;
    }
    console.log(`--- ${name}`);
    results.push(await bench(name));
  }
  console.log(
    `\nms; provider cold = startSession + first turn (median of ${COLD}); warm = turn on a live session (p50 / p99 of ${WARM}); ` +
      `runtime cold = the runtime's own one-shot CLI against the same fake (median of ${COLD})`,
  );
  console.table(
    results.map((r) => ({
      provider: r.provider,
      status: r.status,
      'provider cold': r.providerColdMedian !== undefined ? fmt(r.providerColdMedian) : '',
      'provider warm p50/p99': r.providerWarm
        ? `${fmt(r.providerWarm.p50)} / ${fmt(r.providerWarm.p99)}`
        : '',
      'runtime own cold': r.runtimeColdMedian !== undefined ? fmt(r.runtimeColdMedian) : 'n/a',
      'added by provider (cold)':
        r.providerColdMedian !== undefined && r.runtimeColdMedian !== undefined
          ? fmt(r.providerColdMedian - r.runtimeColdMedian)
          : '',
    })),
  );
  for (const r of results) {
    if (r.reason) console.log(`${r.provider}: ${r.reason}`);
    if (r.runtimeReason) console.log(`${r.provider} runtime CLI: ${r.runtimeReason}`);
  }
  writeBenchReport('provider-turn', results, { config: { warm: WARM, cold: COLD } });
  if (results.some((r) => r.status === 'error')) process.exitCode = 1;
  // Provider sessions may leave handles (SDK timers); the figures are written.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
}

await main();
