/**
 * Broken JSON-RPC from a runner: a fake runner (fixtures/fake-runner.mjs) in a real sandbox (bwrap; and without
 * isolation, `process`) speaks garbage, wrong framing, wrong versions, events for other runs, unknown methods, or
 * goes silent. The host side (`createSandboxConnection`, what the host's agent pool uses) must turn each into a
 * clear error — a rejected start naming the cause, or a run that ends with an `error` event — and never hang or
 * throw out of band. These cases sit below the host because the host cannot be pointed at another runner bundle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AgentSandbox,
  createProcessRuntime,
  createSandboxConnection,
  runnerAppMount,
} from '@nanoclaw/container-runner';
import { bwrapAvailability, testBwrapRuntime } from '@nanoclaw/container-runner/test';
import type { AgentEvent, ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSummary } from './results.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fake-runner.mjs');
const READY_TIMEOUT_MS = 1_500;
const HEARTBEAT_TIMEOUT_MS = 1_500;

/** Fails before `runner/ready`: the connection must be refused with a reason. */
const BEFORE_READY: Array<[string, RegExp]> = [
  ['garbage-then-exit', /runner exited before it was ready/],
  ['garbage-forever', /no heartbeat|not ready|ready/],
  ['bad-content-length', /no heartbeat|ready/],
  ['huge-content-length', /no heartbeat|ready/],
  ['invalid-json-body', /no heartbeat|ready/],
  ['not-jsonrpc', /no heartbeat|ready/],
  ['nul-bytes', /no heartbeat|ready/],
  ['ready-wrong-protocol', /unsupported protocol/],
  ['ready-null-params', /unsupported protocol/],
  ['ready-array-params', /unsupported protocol/],
  ['ready-extra-keys', /unsupported protocol/],
  ['exit-0-silently', /runner exited before it was ready/],
  ['stderr-flood-then-exit', /runner exited before it was ready/],
];
/** Fails at `session/start`. */
const AT_SESSION: Array<[string, RegExp]> = [
  ['session-start-error', /provider exploded/],
  ['session-start-bad-result', /./],
];
/** Fails during a run: the run's stream must end with an `error` event. */
const IN_RUN = [
  'run-garbage-then-exit',
  'run-invalid-events-then-exit',
  'run-events-for-another-run',
  'run-bad-run-end',
  'run-silence',
  'run-response-to-unknown-id',
  'run-unknown-request',
  'run-invalid-agent-action',
  'run-oversized-frame',
];

const bwrap = await bwrapAvailability();
if (!bwrap.ok && bwrap.required)
  throw new Error(`bwrap is required here (CI) but unavailable: ${bwrap.reason}`);
const runtimes: Array<{ name: string; make: () => ContainerRuntime }> = [
  { name: 'process', make: () => createProcessRuntime({ unsafeAllowNoIsolation: true }) },
  ...(bwrap.ok ? [{ name: 'bwrap', make: testBwrapRuntime }] : []),
];
if (!bwrap.ok) console.warn(`[runner protocol] bwrap skipped: ${bwrap.reason}`);

let scratch = '';
let app = '';
let group = '';
const live = new Set<AgentSandbox>();
const counted: string[] = [];
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-faults-rpc-'));
  fs.chmodSync(scratch, 0o755);
  app = path.join(scratch, 'app');
  group = path.join(scratch, 'group');
  fs.mkdirSync(app, { mode: 0o755 });
  fs.mkdirSync(group, { mode: 0o777 });
  fs.chmodSync(group, 0o777);
  fs.copyFileSync(FIXTURE, path.join(app, 'fake-runner.mjs'));
  fs.chmodSync(path.join(app, 'fake-runner.mjs'), 0o644);
});
afterAll(async () => {
  await Promise.allSettled([...live].map((s) => s.kill()));
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  writeSummary('runner-protocol', { cases: counted.length, runtimes: runtimes.map((r) => r.name) });
  console.log(
    `[runner protocol] ${counted.length} broken-runner cases on ${runtimes.map((r) => r.name).join(', ')}`,
  );
});

let seq = 0;
function spec(scenario: string): SandboxSpec {
  return {
    name: `nc-faults-rpc-${process.pid}-${seq++}`,
    command: ['/usr/bin/node', '/app/fake-runner.mjs', scenario],
    cwd: '/workspace/group',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    mounts: [runnerAppMount(app), { hostPath: group, containerPath: '/workspace/group', readonly: false }],
    network: 'none',
    limits: { memoryMb: 512, cpus: 1, pids: 64 },
    labels: { 'nanoclaw.install': `faults-rpc-${process.pid}` },
    user: { uid: 1000, gid: 1000 },
  };
}

function connect(runtime: ContainerRuntime, scenario: string): Promise<AgentSandbox> {
  return createSandboxConnection({
    runtime,
    spec: spec(scenario),
    readyTimeoutMs: READY_TIMEOUT_MS,
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    closeTimeoutMs: 500,
  }).then((sandbox) => {
    live.add(sandbox);
    return sandbox;
  });
}

async function settle<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HUNG: no outcome within ${ms} ms`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([promise, timeout]) };
  } catch (error) {
    return { ok: false, error: error as Error };
  } finally {
    clearTimeout(timer);
  }
}

for (const target of runtimes) {
  describe(`a broken runner (${target.name})`, () => {
    const runtime = target.make();

    it.each(BEFORE_READY)('%s: the start is refused with a reason', async (scenario, reason) => {
      const outcome = await settle(connect(runtime, scenario), READY_TIMEOUT_MS + 10_000);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.error.message).not.toMatch(/HUNG/);
        expect(outcome.error.message).toMatch(reason);
      }
      counted.push(`${target.name}:${scenario}`);
    });

    it.each(AT_SESSION)('%s: session/start fails with a reason', async (scenario, reason) => {
      const sandbox = await connect(runtime, scenario);
      try {
        const outcome = await settle(
          sandbox.startSession({ provider: 'mock', cwd: '/workspace/group', turnTimeoutMs: 30_000 }),
          10_000,
        );
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) {
          expect(outcome.error.message).not.toMatch(/HUNG/);
          expect(outcome.error.message).toMatch(reason);
        }
      } finally {
        await sandbox.kill();
        live.delete(sandbox);
      }
      counted.push(`${target.name}:${scenario}`);
    });

    it.each(IN_RUN)('%s: the run ends with an error event, never hangs', async (scenario) => {
      const sandbox = await connect(runtime, scenario);
      try {
        await sandbox.startSession({ provider: 'mock', cwd: '/workspace/group', turnTimeoutMs: 30_000 });
        const events: AgentEvent[] = [];
        const outcome = await settle(
          (async () => {
            for await (const event of sandbox.run({ text: 'hello' })) events.push(event);
          })(),
          HEARTBEAT_TIMEOUT_MS + 10_000,
        );
        expect(outcome.ok, outcome.ok ? '' : outcome.error.message).toBe(true);
        const last = events.at(-1);
        expect(last?.type).toBe('error');
        if (last?.type === 'error') expect(last.message.length).toBeGreaterThan(5);
        // Nothing meant for another run, nothing malformed, reached this run's stream.
        expect(events.some((e) => e.type === 'text-delta' && e.delta === 'leak')).toBe(false);
        expect(
          events.every((e) => typeof e.type === 'string' && e.type !== ('no-such-event' as string)),
        ).toBe(true);
      } finally {
        await sandbox.kill();
        live.delete(sandbox);
      }
      counted.push(`${target.name}:${scenario}`);
    });
  });
}
