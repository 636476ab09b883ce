import fs from 'node:fs';
import path from 'node:path';
import type { AgentEvent, SessionOptions } from '@nanoclaw/core';
import {
  collect,
  descendants,
  type FakeResponsesStep,
  ofType,
  processEnv,
  types,
  waitFor,
} from '@nanoclaw/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CodexProviderOptions } from './provider.js';
import type { CodexAgentSession } from './session.js';
import {
  type CodexTestWorld,
  cleanupTempDirs,
  compactionFailingProxy,
  createWorld,
  echoServer,
  execStep,
  isAlive,
  testProvider,
} from './test-utils.js';

let world: CodexTestWorld;
const sessions: CodexAgentSession[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.close()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await world.fake.close();
  cleanupTempDirs();
});

async function start(options: Partial<SessionOptions> = {}, providerOptions: CodexProviderOptions = {}) {
  const session = await testProvider(world, providerOptions).startSession({
    cwd: world.cwd,
    env: world.env,
    ...options,
  });
  sessions.push(session);
  return session;
}

function rollouts(codexHome: string): string[] {
  const dir = path.join(codexHome, 'sessions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => path.join(dir, name));
}

const turn = (text: string, inputTokens: number): FakeResponsesStep => ({ text, usage: { inputTokens } });

describe('compaction', () => {
  it('compacts once when total input tokens cross 40K, and not again until 40K more', async () => {
    world.fake.script([
      turn('t1', 15_000),
      turn('t2', 15_000),
      turn('t3', 15_000), // total 45K: compaction after this turn
      turn('t4', 15_000),
      turn('t5', 15_000), // 30K since the compaction: none
      turn('t6', 15_000), // 45K since: the second one
    ]);
    const session = await start();
    const perTurn: AgentEvent[][] = [];
    for (let i = 1; i <= 6; i++) perTurn.push(await collect(session.prompt({ text: `prompt ${i}` })));

    const compactions = perTurn.map((events) => ofType(events, 'compaction-end'));
    expect(compactions.map((list) => list.length)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(compactions[2]?.[0]).toEqual({ type: 'compaction-end', ok: true, reason: 'threshold' });
    // The compaction comes after the turn that crossed the threshold, never inside a turn.
    expect(types(perTurn[2] ?? []).slice(-2)).toEqual(['turn-end', 'compaction-end']);
    expect(world.fake.requests.filter((request) => request.kind === 'compaction')).toHaveLength(2);
    // The model saw the summary instead of the old turns after the first compaction.
    const afterFirst = world.fake.requests.find((request) => request.lastUserText === 'prompt 4');
    expect(JSON.stringify(afterFirst?.body)).toContain('Summary of the conversation so far');
    // Cumulative totals keep growing (compaction never resets them); the per-turn usage is the turn's own.
    const usage = perTurn.map((events) => ofType(events, 'usage')[0]);
    expect(usage[3]?.inputTokens).toBe(15_000);
    expect(usage[5]?.totalInputTokens).toBeGreaterThan(90_000);
    // The baseline survives in CODEX_HOME for a resumed session.
    const state = JSON.parse(
      fs.readFileSync(path.join(world.codexHome, 'nanoclaw-provider-state.json'), 'utf8'),
    );
    expect(state.threads[session.continuation!].lastCompactionInputTokens).toBeGreaterThan(45_000);
  });

  it('a failing compaction is logged and reported; the turn and the next prompt still work', async () => {
    const proxy = await compactionFailingProxy(world.fake);
    cleanups.push(() => proxy.close());
    world.fake.script([turn('big', 50_000), turn('after', 100)]);
    const session = await start({ env: { ...world.env, OPENAI_BASE_URL: proxy.baseUrl } });

    const events = await collect(session.prompt({ text: 'grow the context' }));
    expect(ofType(events, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'big' });
    const [compaction] = ofType(events, 'compaction-end');
    expect(compaction).toMatchObject({ ok: false, reason: 'threshold' });
    expect(compaction?.error).toBeTruthy();
    expect(proxy.compactionAttempts).toBeGreaterThanOrEqual(1);
    expect(world.logs.some((line) => line.level === 'warn' && /compaction failed/.test(line.message))).toBe(
      true,
    );

    const next = await collect(session.prompt({ text: 'and now?' }));
    expect(ofType(next, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'after' });
  });

  it('compact() runs before the next run, reason requested; threshold 0 disables automatic compaction', async () => {
    world.fake.script([turn('a', 90_000), turn('b', 100)]);
    const session = await start({}, { compactThresholdTokens: 0 });
    const first = await collect(session.prompt({ text: 'one' }));
    expect(ofType(first, 'compaction-end')).toHaveLength(0);
    await session.compact();
    const second = await collect(session.prompt({ text: 'two' }));
    expect(types(second)[0]).toBe('compaction-end');
    expect(ofType(second, 'compaction-end')[0]).toEqual({
      type: 'compaction-end',
      ok: true,
      reason: 'requested',
    });
    expect(ofType(second, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'b' });
  });

  it('reads the threshold from CODEX_COMPACT_THRESHOLD_TOKENS', async () => {
    world.fake.script([turn('a', 600), turn('b', 600)]);
    const session = await start({ env: { ...world.env, CODEX_COMPACT_THRESHOLD_TOKENS: '1000' } });
    const first = await collect(session.prompt({ text: 'one' }));
    const second = await collect(session.prompt({ text: 'two' }));
    expect(ofType(first, 'compaction-end')).toHaveLength(0);
    expect(ofType(second, 'compaction-end')).toHaveLength(1);
  });
});

describe('follow-ups, interrupt, close', () => {
  it('three pushes during a long turn become three more turns, answered in order', async () => {
    world.fake.on('long one', { text: 'long answer', delayMs: 1_500 });
    world.fake.on('push-1', { text: 'answer 1' });
    world.fake.on('push-2', { text: 'answer 2' });
    world.fake.on('push-3', { text: 'answer 3' });
    const session = await start();
    const stream = session.prompt({ text: 'the long one' });
    const seen: AgentEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (event.type === 'turn-start' && seen.length === 1) {
        expect(session.push({ text: 'push-1' })).toBe(true);
        expect(session.push({ text: 'push-2' })).toBe(true);
        expect(session.push({ text: 'push-3' })).toBe(true);
      }
    }
    const ends = ofType(seen, 'turn-end');
    expect(ends.map((end) => end.text)).toEqual(['long answer', 'answer 1', 'answer 2', 'answer 3']);
    expect(ofType(seen, 'turn-start').map((start) => start.input.text)).toEqual([
      'the long one',
      'push-1',
      'push-2',
      'push-3',
    ]);
    expect(new Set(ends.map((end) => end.turnId)).size).toBe(4);
    expect(session.busy).toBe(false);
    expect(session.push({ text: 'too late' })).toBe(false);
  });

  it('interrupt stops a running command too (background terminals cleaned); queued follow-ups still run', async () => {
    world.fake.on('run forever', execStep('echo $$ > pid.txt; exec sleep 60', { text: 'never' }));
    world.fake.on('after the interrupt', { text: 'still here' });
    const session = await start();
    const stream = session.prompt({ text: 'run forever' });
    const pidFile = path.join(world.cwd, 'pid.txt');
    const seen: AgentEvent[] = [];
    let commandPid = 0;
    for await (const event of stream) {
      seen.push(event);
      if (event.type === 'tool-call') {
        expect(
          await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== ''),
        ).toBe(true);
        commandPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
        expect(isAlive(commandPid)).toBe(true);
        session.push({ text: 'after the interrupt' });
        const started = Date.now();
        await session.interrupt();
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    }
    const ends = ofType(seen, 'turn-end');
    expect(ends.map((end) => end.status)).toEqual(['interrupted', 'completed']);
    expect(ends[1]?.text).toBe('still here');
    expect(await waitFor(() => !isAlive(commandPid), 3_000)).toBe(true);
  });

  it('an abort signal cancels the run: the current turn is interrupted, queued input dropped', async () => {
    world.fake.on('slow', { text: 'slow answer', delayMs: 3_000 });
    const session = await start();
    const abort = new AbortController();
    const seen: AgentEvent[] = [];
    for await (const event of session.prompt({ text: 'slow' }, { signal: abort.signal })) {
      seen.push(event);
      if (event.type === 'turn-start') {
        session.push({ text: 'dropped' });
        abort.abort();
      }
    }
    expect(ofType(seen, 'turn-end').map((end) => end.status)).toEqual(['interrupted']);
    expect(session.busy).toBe(false);
  });

  it('close kills app-server and everything it started; it is idempotent', async () => {
    world.fake.script({ text: 'hi' });
    const session = await start({ mcpServers: { echo: echoServer() } });
    await collect(session.prompt({ text: 'hello' }));
    const pid = session.pid!;
    expect(isAlive(pid)).toBe(true);
    const children = descendants(pid);
    expect(children.length).toBeGreaterThan(0); // at least the MCP server
    await session.close();
    await session.close();
    expect(session.pid).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
    expect(await waitFor(() => children.every((child) => !isAlive(child)), 3_000)).toBe(true);
    expect(() => session.prompt({ text: 'again' })).toThrow(/closed/);
  });

  it('close during a turn ends the stream with turn-end interrupted', async () => {
    world.fake.on('slow', { text: 'slow answer', delayMs: 5_000 });
    const session = await start();
    const seen: AgentEvent[] = [];
    for await (const event of session.prompt({ text: 'slow' })) {
      seen.push(event);
      if (event.type === 'turn-start') void session.close();
    }
    expect(ofType(seen, 'turn-end').map((end) => end.status)).toEqual(['interrupted']);
  });

  it('a crashed app-server fails the turn (never a hang) and the next prompt restarts and resumes it', async () => {
    world.fake.on('slow', { text: 'slow answer', delayMs: 5_000 });
    world.fake.on('again', { text: 'resumed fine' });
    const session = await start();
    const threadId = session.continuation;
    const seen: AgentEvent[] = [];
    for await (const event of session.prompt({ text: 'slow' })) {
      seen.push(event);
      if (event.type === 'turn-start') {
        await world.fake.waitForRequests(1);
        // Once the turn's user message is in the rollout, the thread survives the crash.
        expect(
          await waitFor(() =>
            rollouts(world.codexHome).some((file) => fs.readFileSync(file, 'utf8').includes('slow')),
          ),
        ).toBe(true);
        process.kill(session.pid!, 'SIGKILL');
      }
    }
    expect(types(seen).slice(-2)).toEqual(['error', 'turn-end']);
    expect(ofType(seen, 'error')[0]).toMatchObject({ code: 'runtime-exited', retryable: true });
    expect(ofType(seen, 'turn-end')[0]?.status).toBe('failed');

    const next = await collect(session.prompt({ text: 'again' }));
    expect(ofType(next, 'error')).toEqual([]);
    expect(ofType(next, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'resumed fine' });
    expect(session.continuation).toBe(threadId);
    expect(JSON.stringify(world.fake.requests.at(-1)?.body)).toContain('slow');
  });

  it('a crash before the thread reached disk goes on with a fresh thread', async () => {
    world.fake.on('first', { text: 'first answer' });
    world.fake.on('second', { text: 'second answer' });
    const session = await start();
    const threadId = session.continuation;
    process.kill(session.pid!, 'SIGKILL');
    for (const file of rollouts(world.codexHome)) fs.rmSync(file);
    const events = await collect(session.prompt({ text: 'first' }));
    expect(ofType(events, 'error')).toEqual([]);
    expect(ofType(events, 'turn-end')[0]).toMatchObject({ status: 'completed', text: 'first answer' });
    expect(session.continuation).not.toBe(threadId);
    expect(world.logs.some((line) => /fresh thread/.test(line.message))).toBe(true);
  });
});

describe('the app-server process', () => {
  it('gets an env built from scratch: PATH, HOME, CODEX_HOME, allowlisted keys, the proxy variables, RUST_LOG=warn', async () => {
    process.env.NANOCLAW_CODEX_LEAK_CANARY = 'leaked';
    try {
      const session = await start({
        env: { ...world.env, OPENAI_API_KEY: 'sk-test', HTTPS_PROXY: 'http://proxy.invalid', UNRELATED: 'x' },
      });
      const env = processEnv(session.pid!);
      // HTTPS_PROXY is the session env's (in a sandbox: the egress relay), never the host process's own.
      expect(Object.keys(env).sort()).toEqual(
        [
          'CODEX_HOME',
          'CODEX_MODEL',
          'HOME',
          'HTTPS_PROXY',
          'OPENAI_API_KEY',
          'OPENAI_BASE_URL',
          'PATH',
          'RUST_LOG',
        ].sort(),
      );
      expect(env).toMatchObject({ CODEX_HOME: world.codexHome, HOME: world.home, RUST_LOG: 'warn' });
    } finally {
      delete process.env.NANOCLAW_CODEX_LEAK_CANARY;
    }
  });

  it('with a key, the custom endpoint gets it as a bearer token', async () => {
    world.fake.script({ text: 'ok' });
    const session = await start({ env: { ...world.env, OPENAI_API_KEY: 'sk-endpoint-key' } });
    await collect(session.prompt({ text: 'hi' }));
    expect(world.fake.requests[0]?.headers.authorization).toBe('Bearer sk-endpoint-key');
  });

  it('passes instructions as base instructions and the session model to the thread', async () => {
    world.fake.script({ text: 'ok' });
    const session = await start({ instructions: 'You are NanoClaw test persona.', model: 'other-model' });
    await collect(session.prompt({ text: 'hi' }));
    const body = world.fake.requests[0]?.body as { model: string; input: unknown[] };
    expect(body.model).toBe('other-model');
    expect(JSON.stringify(body.input[0])).toContain('You are NanoClaw test persona.');
  });
});
