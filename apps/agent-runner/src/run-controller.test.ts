import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentEvent,
  type AgentSession,
  type TurnInput,
} from '@nanoclaw/core';
import { describe, expect, it, vi } from 'vitest';
import { startRun } from './run-controller.js';
import { createStderrLogger } from './stderr-logger.js';

const input: TurnInput = { text: 'x' };

/** A session whose stream the test scripts; `interrupt` is a spy that does nothing unless told to. */
function fakeSession(stream: AsyncIterable<AgentEvent>, onInterrupt: () => void = () => {}): AgentSession {
  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    provider: 'fake',
    continuation: 'c-1',
    busy: true,
    prompt: () => stream,
    push: () => false,
    interrupt: vi.fn(async () => onInterrupt()),
    compact: async () => {},
    close: async () => {},
  };
}

/** A stream that yields `events` and then hangs until `release()` (or forever). */
function hangingStream(events: AgentEvent[]) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stream = (async function* () {
    yield* events;
    await gate;
  })();
  return { stream, release };
}

describe('startRun', () => {
  it('forwards events and ends with the stream', async () => {
    const events: AgentEvent[] = [
      { type: 'turn-start', turnId: 't1', input },
      { type: 'text-delta', turnId: 't1', delta: 'hi' },
      { type: 'turn-end', turnId: 't1', status: 'completed', text: 'hi' },
    ];
    const sent: AgentEvent[] = [];
    const stream = (async function* () {
      yield* events;
    })();
    const run = startRun({
      runId: 'r',
      session: fakeSession(stream),
      stream,
      turnTimeoutMs: 1_000,
      send: (e) => sent.push(e),
    });
    await run.done;
    expect(sent).toEqual(events);
  });

  it('times out a turn, and ends it itself when the provider ignores the interrupt', async () => {
    const { stream } = hangingStream([
      { type: 'turn-start', turnId: 't1', input },
      { type: 'text-delta', turnId: 't1', delta: 'partial' },
    ]);
    const session = fakeSession(stream);
    const sent: AgentEvent[] = [];
    const started = Date.now();
    const run = startRun({
      runId: 'r',
      session,
      stream,
      turnTimeoutMs: 100,
      interruptGraceMs: 100,
      send: (e) => sent.push(e),
    });
    await run.done;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(session.interrupt).toHaveBeenCalledOnce();
    expect(sent.slice(2)).toEqual([
      {
        type: 'error',
        turnId: 't1',
        message: 'the turn ran longer than the turn timeout (100 ms)',
        code: 'timeout',
        retryable: true,
      },
      { type: 'turn-end', turnId: 't1', status: 'interrupted', text: 'partial' },
    ]);
  });

  it('an interrupt the provider fails to send is logged; the grace period still ends the turn', async () => {
    const { stream } = hangingStream([{ type: 'turn-start', turnId: 't1', input }]);
    const session = fakeSession(stream, () => {
      throw new Error('interrupt refused');
    });
    const lines: string[] = [];
    const sent: AgentEvent[] = [];
    const run = startRun({
      runId: 'r',
      session,
      stream,
      turnTimeoutMs: 50,
      interruptGraceMs: 50,
      send: (e) => sent.push(e),
      logger: createStderrLogger({ level: 'info', write: (line) => lines.push(line) }),
    });
    await expect(run.done).resolves.toBeUndefined();
    expect(sent.map((e) => e.type)).toEqual(['turn-start', 'error', 'turn-end']);
    expect(sent.at(-1)).toMatchObject({ status: 'interrupted' });
    expect(lines.join('')).toContain('provider interrupt failed');
  });

  it('stops the turn clock while the agent waits for a person, then gives the turn the time it had left', async () => {
    vi.useFakeTimers();
    try {
      const { stream, release } = hangingStream([{ type: 'turn-start', turnId: 't1', input }]);
      const sent: AgentEvent[] = [];
      const run = startRun({
        runId: 'r',
        session: fakeSession(stream),
        stream,
        turnTimeoutMs: 1_000,
        send: (e) => sent.push(e),
      });
      await vi.advanceTimersByTimeAsync(600);
      const resume = run.holdTurnTimer();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(sent.filter((e) => e.type === 'error')).toEqual([]);
      resume();
      resume();
      await vi.advanceTimersByTimeAsync(300);
      expect(sent.filter((e) => e.type === 'error')).toEqual([]);
      await vi.advanceTimersByTimeAsync(150);
      expect(sent.filter((e) => e.type === 'error')).toMatchObject([{ code: 'timeout' }]);
      release();
      await vi.advanceTimersByTimeAsync(3_000);
      await run.done;
    } finally {
      vi.useRealTimers();
    }
  });

  it('times out a provider that never starts a turn', async () => {
    const { stream } = hangingStream([]);
    const sent: AgentEvent[] = [];
    const run = startRun({
      runId: 'r',
      session: fakeSession(stream),
      stream,
      turnTimeoutMs: 50,
      interruptGraceMs: 50,
      send: (e) => sent.push(e),
    });
    await run.done;
    expect(sent).toEqual([expect.objectContaining({ type: 'error', code: 'timeout' })]);
    expect(sent[0]).not.toHaveProperty('turnId');
  });

  it('keeps the run when the provider honours the timeout interrupt', async () => {
    const events: AgentEvent[] = [];
    let finish = () => {};
    const stream = (async function* () {
      yield { type: 'turn-start', turnId: 't1', input } satisfies AgentEvent;
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      yield { type: 'turn-end', turnId: 't1', status: 'interrupted', text: '' } satisfies AgentEvent;
    })();
    const session = fakeSession(stream, () => finish());
    const run = startRun({
      runId: 'r',
      session,
      stream,
      turnTimeoutMs: 50,
      interruptGraceMs: 5_000,
      send: (e) => events.push(e),
    });
    await run.done;
    expect(events.map((e) => e.type)).toEqual(['turn-start', 'error', 'turn-end']);
    expect(events.filter((e) => e.type === 'turn-end')).toHaveLength(1);
  });

  it('bounds an explicit interrupt by the grace period', async () => {
    const { stream } = hangingStream([{ type: 'turn-start', turnId: 't1', input }]);
    const sent: AgentEvent[] = [];
    const run = startRun({
      runId: 'r',
      session: fakeSession(stream),
      stream,
      turnTimeoutMs: 60_000,
      interruptGraceMs: 50,
      send: (e) => sent.push(e),
    });
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    await run.interrupt();
    await run.done;
    expect(sent.at(-1)).toEqual({ type: 'turn-end', turnId: 't1', status: 'interrupted', text: '' });
  });

  it('turns a failing stream into an error event and a failed turn-end', async () => {
    const stream = (async function* () {
      yield { type: 'turn-start', turnId: 't1', input } satisfies AgentEvent;
      throw new Error('runtime crashed');
    })();
    const sent: AgentEvent[] = [];
    const run = startRun({
      runId: 'r',
      session: fakeSession(stream),
      stream,
      turnTimeoutMs: 1_000,
      send: (e) => sent.push(e),
    });
    await run.done;
    expect(sent.slice(1)).toEqual([
      {
        type: 'error',
        turnId: 't1',
        message: 'provider failed: runtime crashed',
        code: 'provider-error',
        retryable: false,
      },
      { type: 'turn-end', turnId: 't1', status: 'failed', text: '' },
    ]);
  });
});
