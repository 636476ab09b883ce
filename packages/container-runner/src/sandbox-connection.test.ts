import fs from 'node:fs/promises';
import {
  type AgentAction,
  type AgentEvent,
  type ContainerRuntime,
  errorMessage,
  type SandboxSpec,
} from '@nanoclaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSandboxError } from './errors.js';
import { createProcessRuntime } from './runtimes/process.js';
import {
  type AgentSandbox,
  createSandboxConnection,
  type SandboxConnectionOptions,
} from './sandbox-connection.js';
import {
  bwrapAvailability,
  captureLogger,
  collect,
  copyFixtures,
  dockerAvailability,
  ensureTestImage,
  makeScratchDir,
  makeWritableDir,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from './test-utils/sandbox-test-env.js';

let root: string;
let fixtures: string;
let workspace: string;
let counter = 0;
const open: AgentSandbox[] = [];

beforeAll(async () => {
  root = await makeScratchDir('connection');
  fixtures = await copyFixtures(root);
  workspace = await makeWritableDir(root, 'group');
});

afterAll(async () => {
  await Promise.allSettled(open.map((s) => s.kill()));
  await fs.rm(root, { recursive: true, force: true });
});

function spec(env: Record<string, string> = {}, image?: string): SandboxSpec {
  return {
    name: `nc-conn-${process.pid}-${++counter}`,
    ...(image ? { image } : {}),
    command: ['/usr/bin/node', '/fixtures/fake-runner.cjs'],
    cwd: '/workspace/group',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', ...env },
    mounts: [
      { hostPath: fixtures, containerPath: '/fixtures', readonly: true },
      { hostPath: workspace, containerPath: '/workspace/group', readonly: false },
    ],
    network: 'none',
    limits: { memoryMb: 256, cpus: 1, pids: 128 },
    labels: { 'nanoclaw.install': 'connection-test' },
    user: { uid: 1000, gid: 1000 },
  };
}

const processRuntime = createProcessRuntime({ unsafeAllowNoIsolation: true });

async function connect(options: Partial<SandboxConnectionOptions> & { env?: Record<string, string> } = {}) {
  const { env, ...rest } = options;
  const sandbox = await createSandboxConnection({ runtime: processRuntime, spec: spec(env), ...rest });
  open.push(sandbox);
  return sandbox;
}

const session = { provider: 'mock', cwd: '/workspace/group', turnTimeoutMs: 30_000 };
const text = (events: AgentEvent[]) =>
  events
    .filter((e): e is Extract<AgentEvent, { type: 'text-delta' }> => e.type === 'text-delta')
    .map((e) => e.delta)
    .join('');

describe('createSandboxConnection (fake runner, process runtime)', () => {
  it('starts a session, streams a run until run/end, and logs stderr lines', async () => {
    const logger = captureLogger();
    const sandbox = await connect({ logger });
    expect(sandbox.runner).toMatchObject({ protocolVersion: 1, runnerVersion: 'fake-1' });
    expect(await sandbox.startSession(session)).toEqual({ continuation: 'cont-1', resumed: false });
    expect(sandbox.continuation).toBe('cont-1');
    const run = sandbox.run({ text: 'hello' }, { runId: 'r1' });
    expect(sandbox.busy).toBe(true);
    const events = await collect(run);
    expect(events.map((e) => e.type)).toEqual(['turn-start', 'text-delta', 'usage', 'turn-end']);
    expect(text(events)).toBe('you said: hello');
    expect(sandbox.busy).toBe(false);
    expect(sandbox.continuation).toBe('cont-after-r1');
    const up = logger.entries.find((e) => e.message === 'fake runner up');
    expect(up?.level).toBe('info');
    expect(up?.fields).toMatchObject({ sandbox: sandbox.name, stream: 'stderr' });
    expect(logger.entries.some((e) => e.message === 'plain stderr line')).toBe(true);
    await sandbox.close();
    expect((await sandbox.closed).reason).toBe('closed');
    await sandbox.close();
    expect(() => sandbox.run({ text: 'again' })).toThrow(/closed/);
  });

  it('answers agent/action requests with the handler, bound to the connection', async () => {
    const seen: AgentAction[] = [];
    const sandbox = await connect();
    sandbox.onAction((action, context) => {
      seen.push(action);
      expect(context.sandbox).toBe(sandbox.name);
      return { ok: true, result: { delivered: true } };
    });
    await sandbox.startSession(session);
    const events = await collect(sandbox.run({ text: 'do an action' }));
    expect(seen).toEqual([{ tool: 'send_message', text: 'hi from the agent' }]);
    expect(text(events)).toContain('"delivered":true');
    await sandbox.close();
  });

  it('hands follow-up input to the active run and interrupts it', async () => {
    const sandbox = await connect();
    await sandbox.startSession(session);
    const run = collect(sandbox.run({ text: 'slow one' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(await sandbox.push({ text: 'slow two' })).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    await sandbox.interrupt();
    const events = await run;
    const ends = events.filter((e) => e.type === 'turn-end');
    expect(ends.map((e) => (e.type === 'turn-end' ? e.status : ''))).toEqual(['completed', 'interrupted']);
    expect(await sandbox.push({ text: 'late' })).toBe(false);
    await sandbox.close();
  });

  it('carries the attachments of run and push to the runner unchanged', async () => {
    const sandbox = await connect();
    await sandbox.startSession(session);
    const photo = {
      name: 'photo.png',
      mimeType: 'image/png',
      sizeBytes: 3,
      ref: 'inbox/2026-12-07/42-photo.png',
    };
    const scan = {
      name: 'scan.pdf',
      mimeType: 'application/pdf',
      sizeBytes: 9,
      ref: 'inbox/2026-12-07/43-scan.pdf',
    };
    const first = { text: 'slow one', attachments: [photo] };
    const second = { text: 'two', attachments: [scan] };
    const run = collect(sandbox.run(first));
    await new Promise((r) => setTimeout(r, 100));
    expect(await sandbox.push(second)).toBe(true);
    const events = await run;
    expect(events.flatMap((e) => (e.type === 'turn-start' ? [e.input] : []))).toEqual([first, second]);
    await sandbox.close();
  });

  it('an abort signal interrupts the run', async () => {
    const sandbox = await connect();
    await sandbox.startSession(session);
    const controller = new AbortController();
    const run = collect(sandbox.run({ text: 'slow' }, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const events = await run;
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', status: 'interrupted' });
    await sandbox.close();
  });

  it('a silent runner ends the run with runner-unresponsive and the sandbox is killed (never a hang)', async () => {
    const sandbox = await connect({ heartbeatTimeoutMs: 600 });
    await sandbox.startSession(session);
    const started = Date.now();
    const events = await collect(sandbox.run({ text: 'hang' }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-unresponsive', retryable: true });
    const closed = await sandbox.closed;
    expect(closed.reason).toBe('runner-unresponsive');
    expect(closed.exit.code === 0).toBe(false);
  });

  it('a sandbox that exits mid-run ends the run with runner-exited', async () => {
    const sandbox = await connect();
    await sandbox.startSession(session);
    const events = await collect(sandbox.run({ text: 'crash now' }));
    // Everything the runner wrote just before it exited is handled before the run ends.
    expect(events.map((e) => e.type)).toEqual(['turn-start', 'text-delta', 'error']);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-exited' });
    expect((events.at(-1) as { message: string }).message).toMatch(/code 3/);
    expect(await sandbox.closed).toEqual({ reason: 'runner-exited', exit: { code: 3, signal: null } });
    await expect(sandbox.startSession(session)).rejects.toSatisfy((e: unknown) =>
      isSandboxError(e, 'connection-closed'),
    );
  });

  describe('a runner stream destroyed while the host writes to it', () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    beforeAll(() => {
      process.on('unhandledRejection', onUnhandled);
    });
    afterAll(() => {
      process.off('unhandledRejection', onUnhandled);
    });

    /** Lets every pending rejection surface (Node reports an unhandled one after the microtask queue drained). */
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    it('destroyed before run/start: the run ends with runner-exited and nothing is thrown at the host', async () => {
      unhandled.length = 0;
      const logger = captureLogger();
      const sandbox = await connect({ logger });
      await sandbox.startSession(session);
      sandbox.process.stdin.destroy();
      const events = await collect(sandbox.run({ text: 'hello' }));
      await settle();
      expect(unhandled.map(String)).toEqual([]);
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-exited', retryable: true });
      expect((await sandbox.closed).reason).toBe('runner-exited');
      expect(
        logger.entries.some((e) => e.message === 'cannot write to the runner; stopping the sandbox'),
      ).toBe(true);
    });

    it('destroyed in the middle of a write (header sent, body not): the same, never a crash', async () => {
      unhandled.length = 0;
      const sandbox = await connect();
      await sandbox.startSession(session);
      const stdin = sandbox.process.stdin;
      const write = stdin.write.bind(stdin) as (...args: unknown[]) => boolean;
      // The next write (a message's Content-Length header) goes out; the stream dies before its body.
      stdin.write = ((...args: unknown[]) => {
        const written = write(...args);
        stdin.destroy();
        return written;
      }) as typeof stdin.write;
      const run = collect(sandbox.run({ text: 'slow' }));
      const pushed = sandbox.push({ text: 'more' }).catch((error: unknown) => error);
      const interrupted = sandbox.interrupt().catch((error: unknown) => error);
      const events = await run;
      await Promise.all([pushed, interrupted]);
      await settle();
      expect(unhandled.map(String)).toEqual([]);
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-exited', retryable: true });
      await sandbox.closed;
    });

    it('a runner that is already gone: an interrupt and a close write to nothing, and never throw', async () => {
      unhandled.length = 0;
      const sandbox = await connect();
      await sandbox.startSession(session);
      const controller = new AbortController();
      const run = collect(sandbox.run({ text: 'crash now' }, { signal: controller.signal }));
      await sandbox.process.exited;
      controller.abort();
      await sandbox.close();
      const events = await run;
      await settle();
      expect(unhandled.map(String)).toEqual([]);
      // Whichever the host saw first (the exit, or its own close): the turn did not finish, so it is retried.
      expect(events.at(-1)).toMatchObject({ type: 'error', retryable: true });
    });
  });

  it('closes an idle sandbox after the idle timeout', async () => {
    const sandbox = await connect({ idleTimeoutMs: 300 });
    await sandbox.startSession(session);
    await collect(sandbox.run({ text: 'quick' }));
    const closed = await sandbox.closed;
    expect(closed.reason).toBe('idle');
    expect(closed.exit.code).toBe(0);
  });

  it('is not idle while its session starts, however short the idle timeout', async () => {
    const sandbox = await connect({ idleTimeoutMs: 300, env: { FAKE_RUNNER_START_DELAY_MS: '900' } });
    await sandbox.startSession(session);
    expect(text(await collect(sandbox.run({ text: 'after a delayed start' })))).toContain(
      'after a delayed start',
    );
    expect((await sandbox.closed).reason).toBe('idle');
  });

  it('rejects when the runner never becomes ready, with its stderr, and stops the sandbox', async () => {
    const started = Date.now();
    const error = await connect({ env: { FAKE_RUNNER_MODE: 'no-ready' }, readyTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(isSandboxError(error, 'connection-closed')).toBe(true);
    expect(errorMessage(error)).toMatch(/no heartbeat[\s\S]*fake runner up/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const names = (await processRuntime.list({ 'nanoclaw.install': 'connection-test' })).map((s) => s.name);
    expect(names).not.toContain(`nc-conn-${process.pid}-${counter}`);
  });
});

function realSandboxSuite(
  name: string,
  available: () => Promise<{ ok: boolean; reason?: string; required?: boolean }>,
  runtime: () => ContainerRuntime,
  image?: string,
) {
  describe(`createSandboxConnection through ${name}`, () => {
    it('runs a turn with an action inside the sandbox', async (ctx) => {
      const availability = await available();
      if (!availability.ok) {
        if (availability.required) throw new Error(`${name} required: ${availability.reason}`);
        console.warn(`[connection: ${name}] skipped: ${availability.reason}`);
        return ctx.skip();
      }
      if (image) await ensureTestImage();
      const started = Date.now();
      const sandbox = await createSandboxConnection({ runtime: runtime(), spec: spec({}, image) });
      open.push(sandbox);
      const readyMs = Date.now() - started;
      sandbox.onAction(() => ({ ok: true, result: 'sent' }));
      await sandbox.startSession(session);
      const events = await collect(sandbox.run({ text: 'action please' }));
      expect(text(events)).toContain('"result":"sent"');
      await sandbox.close();
      expect((await sandbox.closed).reason).toBe('closed');
      console.log(`[connection: ${name}] spawn to runner/ready: ${readyMs} ms`);
    }, 60_000);

    it('kills a hung runner for real (no sandbox left behind)', async (ctx) => {
      const availability = await available();
      if (!availability.ok) return ctx.skip();
      if (image) await ensureTestImage();
      const sandboxSpec = spec({}, image);
      const rt = runtime();
      const sandbox = await createSandboxConnection({
        runtime: rt,
        spec: sandboxSpec,
        heartbeatTimeoutMs: 1_000,
      });
      open.push(sandbox);
      await sandbox.startSession(session);
      const events = await collect(sandbox.run({ text: 'hang' }));
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-unresponsive' });
      expect((await sandbox.closed).reason).toBe('runner-unresponsive');
      expect((await rt.list({ 'nanoclaw.install': 'connection-test' })).map((s) => s.name)).not.toContain(
        sandboxSpec.name,
      );
    }, 60_000);
  });
}

realSandboxSuite('bwrap', bwrapAvailability, testBwrapRuntime);
realSandboxSuite('docker', dockerAvailability, testDockerRuntime, TEST_IMAGE);
