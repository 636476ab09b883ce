import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseError } from 'vscode-jsonrpc/node.js';
import { eventTypes, sessionParams, spawnRunner, type TestHost } from './test-utils.js';

const hosts: TestHost[] = [];
function host(options?: Parameters<typeof spawnRunner>[0]): TestHost {
  const h = spawnRunner(options);
  hosts.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.dispose()));
});

const turnEnds = (events: AgentEvent[]) =>
  events.filter((e): e is Extract<AgentEvent, { type: 'turn-end' }> => e.type === 'turn-end');

async function requestError(promise: Promise<unknown>): Promise<ResponseError<unknown>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ResponseError);
  return error as ResponseError<unknown>;
}

describe('agent-runner (built bundle, as a child process)', () => {
  it('announces itself with runner/ready', async () => {
    const h = host();
    const ready = await h.waitFor('runner/ready');
    expect(ready.params).toEqual({ protocolVersion: 1, runnerVersion: '0.1.0', pid: h.child.pid });
  });

  it('starts a mock session and streams a turn, then run/end with the continuation', async () => {
    const h = host();
    const started = await h.startSession();
    expect(started.resumed).toBe(false);
    expect(started.continuation).toMatch(/^mock-/);
    const { events, end } = await h.run('r1', 'hello');
    expect(eventTypes(events)).toEqual(['turn-start', 'text-delta', 'text-delta', 'text-delta', 'turn-end']);
    expect(turnEnds(events)[0]).toMatchObject({ status: 'completed', text: 'Mock reply to: hello' });
    expect(end).toEqual({ runId: 'r1', continuation: started.continuation });
    // A second run in the same session.
    const second = await h.run('r2', 'again');
    expect(turnEnds(second.events)[0]?.turnId).toBe('turn-2');
  });

  it('answers run/start at once, before the first event', async () => {
    const h = host();
    await h.startSession();
    const reply = await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 300' } });
    expect(reply).toEqual({ runId: 'r1' });
    expect(h.notifications.some((n) => n.method === 'run/end')).toBe(false);
    await h.waitFor('run/end');
  });

  it('routes a nanoclaw tool call to the host as agent/action and back to the agent', async () => {
    const h = host({
      onAction: (action) => ({ ok: true, result: { messageId: 'm-1', echoed: action.tool } }),
    });
    await h.startSession();
    const { events } = await h.run('r1', '/tool nanoclaw.send_message {"text":"hi"}');
    expect(h.actions).toEqual([{ tool: 'send_message', text: 'hi' }]);
    const result = events.find((e) => e.type === 'tool-result');
    expect(result).toMatchObject({
      name: 'nanoclaw.send_message',
      isError: false,
      output: '{"messageId":"m-1","echoed":"send_message"}',
    });
    expect(turnEnds(events)[0]?.text).toBe(
      'nanoclaw.send_message: {"messageId":"m-1","echoed":"send_message"}',
    );
  });

  it('reports a refused action and invalid tool arguments as tool errors', async () => {
    const h = host({ onAction: () => ({ ok: false, error: 'not allowed for this group' }) });
    await h.startSession();
    const { events } = await h.run(
      'r1',
      '/tool nanoclaw.register_group {"folder":"x","name":"X"}\n/tool nanoclaw.send_message {"text":7}',
    );
    const results = events.flatMap((e) => (e.type === 'tool-result' ? [[e.isError, e.output]] : []));
    expect(results).toEqual([
      [true, 'not allowed for this group'],
      [true, expect.stringContaining('invalid arguments for send_message')],
    ]);
    expect(h.actions).toHaveLength(1);
  });

  it('sends attachments to the host relative to the group folder, and refuses one outside it', async () => {
    const h = host({ onAction: () => ({ ok: true, result: { queued: true } }) });
    await h.startSession(sessionParams({ cwd: '/workspace/group' }));
    const { events } = await h.run(
      'r1',
      [
        '/tool nanoclaw.send_message {"attachments":["/workspace/group/out/chart.png","notes/a.md"]}',
        '/tool nanoclaw.send_message {"text":"x","attachments":["/etc/passwd"]}',
      ].join('\n'),
    );
    expect(h.actions).toEqual([
      { tool: 'send_message', text: '', attachments: ['out/chart.png', 'notes/a.md'] },
    ]);
    const results = events.flatMap((e) => (e.type === 'tool-result' ? [[e.isError, e.output]] : []));
    expect(results).toEqual([
      [false, '{"queued":true}'],
      [true, expect.stringContaining('attachment "/etc/passwd" is not a file inside your group folder')],
    ]);
  });

  it('sends heartbeats at the configured rate', async () => {
    const h = host();
    await h.startSession(sessionParams({ heartbeatMs: 100 }));
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 650));
    const beats = h.notifications.filter((n) => n.method === 'runner/heartbeat' && n.at >= from);
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.length).toBeLessThanOrEqual(8);
    expect(beats[0]?.params).toEqual({ at: expect.any(Number), busy: false });
  });

  it('heartbeats say busy during a run', async () => {
    const h = host();
    await h.startSession(sessionParams({ heartbeatMs: 100 }));
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 400' } });
    const beat = await h.waitFor('runner/heartbeat', (p) => p.busy === true);
    expect(beat.params.busy).toBe(true);
    await h.waitFor('run/end');
  });

  it('ends a turn that outlives turnTimeoutMs: error timeout, turn-end interrupted, run/end', async () => {
    const h = host();
    await h.startSession(sessionParams({ turnTimeoutMs: 500 }));
    const started = Date.now();
    const { events } = await h.run('r1', '/sleep 60000');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(eventTypes(events)).toEqual(['turn-start', 'error', 'turn-end']);
    expect(events[1]).toMatchObject({ type: 'error', turnId: 'turn-1', code: 'timeout', retryable: true });
    expect(events[2]).toMatchObject({ type: 'turn-end', status: 'interrupted' });
  });

  it('run/push during a turn runs a second turn in order; after the run it is refused', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 300\nfirst' } });
    expect(await h.connection.sendRequest('run/push', { runId: 'r1', input: { text: 'second' } })).toEqual({
      accepted: true,
    });
    expect(await h.connection.sendRequest('run/push', { runId: 'other', input: { text: 'x' } })).toEqual({
      accepted: false,
    });
    await h.waitFor('run/end');
    expect(turnEnds(h.eventsOf('r1')).map((e) => e.text)).toEqual([
      'Mock reply to: first',
      'Mock reply to: second',
    ]);
    expect(await h.connection.sendRequest('run/push', { runId: 'r1', input: { text: 'late' } })).toEqual({
      accepted: false,
    });
  });

  it('hands attachments of run/start and run/push to the provider unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-runner-attachments-'));
    fs.mkdirSync(path.join(dir, 'inbox'));
    fs.writeFileSync(path.join(dir, 'inbox', '42-photo.png'), 'PNG');
    fs.writeFileSync(path.join(dir, 'inbox', '43-scan.pdf'), 'PDF');
    const photo = { name: 'photo.png', mimeType: 'image/png', sizeBytes: 3, ref: 'inbox/42-photo.png' };
    const scan = { name: 'scan.pdf', mimeType: 'application/pdf', sizeBytes: 3, ref: 'inbox/43-scan.pdf' };
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const h = host();
    await h.startSession(sessionParams({ cwd: dir }));
    const first = { text: '/sleep 300\n/attachments', attachments: [photo] };
    const second = { text: '/attachments', attachments: [scan] };
    await h.connection.sendRequest('run/start', { runId: 'r1', input: first });
    expect(await h.connection.sendRequest('run/push', { runId: 'r1', input: second })).toEqual({
      accepted: true,
    });
    await h.waitFor('run/end');
    const events = h.eventsOf('r1');
    expect(events.filter((e) => e.type === 'turn-start').map((e) => e.input)).toEqual([first, second]);
    expect(turnEnds(events).map((e) => e.text)).toEqual([
      `attachment: photo.png (image/png, 3 bytes) at inbox/42-photo.png: sha256 ${sha('PNG')}`,
      `attachment: scan.pdf (application/pdf, 3 bytes) at inbox/43-scan.pdf: sha256 ${sha('PDF')}`,
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('run/interrupt ends the current turn interrupted', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 60000' } });
    await h.waitFor('run/event');
    await h.connection.sendRequest('run/interrupt', { runId: 'r1' });
    await h.waitFor('run/end');
    expect(turnEnds(h.eventsOf('r1'))[0]?.status).toBe('interrupted');
  });

  it('session/compact puts compaction-end on the next run', async () => {
    const h = host();
    await h.startSession();
    expect(await h.connection.sendRequest('session/compact', {})).toEqual({});
    const { events } = await h.run('r1', 'hi');
    expect(events[0]).toEqual({ type: 'compaction-end', ok: true, reason: 'requested' });
  });

  it('rejects bad params with a clear JSON-RPC error and keeps answering', async () => {
    const h = host();
    const error = await requestError(h.startSession({ protocolVersion: 2, provider: 'Mock!', cwd: '' }));
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/^invalid session\/start params: /);
    expect(error.message).toContain('protocolVersion');
    expect(error.message).toContain('turnTimeoutMs');
    const noSession = await requestError(
      h.connection.sendRequest('run/start', { runId: 'r', input: { text: 'x' } }),
    );
    expect(noSession.message).toMatch(/no session/);
    expect((await h.startSession()).resumed).toBe(false);
    const badRun = await requestError(h.connection.sendRequest('run/start', { runId: '', input: {} }));
    expect(badRun.code).toBe(-32602);
    const { events } = await h.run('r1', 'still here');
    expect(turnEnds(events)[0]?.status).toBe('completed');
  });

  it('names a provider that is not installed', async () => {
    const h = host();
    const error = await requestError(h.startSession(sessionParams({ provider: 'nonesuch' })));
    expect(error.message).toBe('provider nonesuch is not installed in this runner');
    expect((await h.startSession()).resumed).toBe(false);
  });

  it('refuses a second run/start while a run is active', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 200' } });
    const error = await requestError(
      h.connection.sendRequest('run/start', { runId: 'r2', input: { text: 'x' } }),
    );
    expect(error.message).toMatch(/run r1 is active/);
    await h.waitFor('run/end');
  });

  it('resumes a continuation', async () => {
    const first = host();
    const { continuation } = await first.startSession();
    const h = host();
    const resumed = await h.startSession(sessionParams({ continuation }));
    expect(resumed).toEqual({ continuation, resumed: true });
    const { end } = await h.run('r1', 'hi');
    expect(end.continuation).toBe(continuation);
  });

  it('starts fresh (resumed: false) when the continuation is bogus', async () => {
    const h = host();
    const result = await h.startSession(sessionParams({ continuation: 'thread-from-another-provider' }));
    expect(result.resumed).toBe(false);
    expect(result.continuation).toMatch(/^mock-/);
  });

  it('gives the provider the sandbox env (for allowlisted secrets)', async () => {
    const h = host({ env: { MOCK_SECRET: 's3cret' } });
    await h.startSession();
    const { events } = await h.run('r1', '/echo-env MOCK_SECRET\n/echo-env NOT_PASSED');
    expect(turnEnds(events)[0]?.text).toBe('s3cret\n(unset)');
  });

  it('exits within a second when stdin closes (the host died)', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 60000' } });
    const closedAt = Date.now();
    h.child.stdin.end();
    expect(await h.exited).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(1_000);
  });

  it('exits when the host dies mid-turn with every pipe closed, stderr too (no EPIPE loop)', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/sleep 60000' } });
    const closedAt = Date.now();
    // What a killed host leaves: the reading ends of stdout and stderr gone, stdin at its end.
    h.child.stdout.destroy();
    h.child.stderr.destroy();
    h.child.stdin.end();
    expect(await h.exited).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(2_000);
  });

  it('exits cleanly on SIGTERM', async () => {
    const h = host();
    await h.waitFor('runner/ready');
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
  });

  for (const [how, stop] of [
    ['SIGINT', (h: TestHost) => h.child.kill('SIGINT')],
    ['SIGTERM', (h: TestHost) => h.child.kill('SIGTERM')],
    [
      'session/close',
      (h: TestHost) => void h.connection.sendRequest('session/close', {}).catch(() => undefined),
    ],
  ] as const) {
    it(`stopped by ${how} mid-turn: the run ends with a retryable runner-stopped error, never a turn-end`, async () => {
      const h = host();
      await h.startSession();
      await h.connection.sendRequest('run/start', {
        runId: 'r-stop',
        input: { text: '/sleep 5000\nslow one' },
      });
      await h.waitFor('run/event', (p) => (p.event as AgentEvent).type === 'turn-start');
      stop(h);
      expect(await h.exited).toBe(0);
      const events = h.eventsOf('r-stop');
      expect(eventTypes(events)).toEqual(['turn-start', 'error']);
      expect(events.at(-1)).toMatchObject({ type: 'error', code: 'runner-stopped', retryable: true });
      expect((events.at(-1) as { message: string }).message).toContain(how);
    });
  }

  it('session/close replies, closes the provider and exits 0', async () => {
    const h = host();
    await h.startSession();
    expect(await h.connection.sendRequest('session/close', {})).toEqual({});
    expect(await h.exited).toBe(0);
  });

  it('exits non-zero when the agent runtime crashes mid-turn', async () => {
    const h = host();
    await h.startSession();
    await h.connection.sendRequest('run/start', { runId: 'r1', input: { text: '/crash' } });
    expect(await h.exited).toBe(1);
    expect(h.eventsOf('r1').map((e) => e.type)).toEqual(['turn-start']);
    expect(h.notifications.some((n) => n.method === 'run/end')).toBe(false);
  });

  it('keeps stdout for the protocol: logs are JSON lines on stderr', async () => {
    const h = host();
    await h.startSession();
    await h.run('r1', 'hi');
    h.child.stdin.end();
    await h.exited;
    const lines = h.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String) });
  });
});
