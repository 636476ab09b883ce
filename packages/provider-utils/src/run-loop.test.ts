import { type AgentEvent, silentLogger, type TurnInput } from '@nanoclaw/core';
import { describe, expect, it, vi } from 'vitest';
import { LoopTurn } from './loop-turn.js';
import { createRunLoop, type EmitEvent, type RunLoopProtocol } from './run-loop.js';

class TestTurn extends LoopTurn {
  constructor(readonly turnId: string) {
    super();
  }
}

/** A protocol whose turns end when the test says so (or at once with `auto`). */
function fakeProtocol(options: { auto?: boolean; threshold?: () => boolean } = {}) {
  const turns: TestTurn[] = [];
  const protocol: RunLoopProtocol<TestTurn> = {
    name: 'fake',
    closedError: () => new Error('fake session is closed'),
    createTurn: () => {
      const turn = new TestTurn(`t${turns.length + 1}`);
      turns.push(turn);
      return turn;
    },
    runTurn: async (turn: TestTurn, input: TurnInput, emit: EmitEvent) => {
      emit({ type: 'turn-start', turnId: turn.turnId, input });
      if (options.auto) turn.finish('completed');
      const status = await turn.done;
      emit({ type: 'turn-end', turnId: turn.turnId, status, text: input.text });
    },
    interruptTurn: vi.fn((turn: TestTurn) => turn.finish('interrupted')),
    runCompaction: vi.fn(async (reason, emit: EmitEvent) => {
      emit({ type: 'compaction-end', ok: true, reason });
    }),
    ...(options.threshold ? { compactAfterTurn: options.threshold } : {}),
    stopRuntime: vi.fn(async () => {}),
  };
  return { protocol, turns };
}

async function collect(events: AsyncIterable<AgentEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of events) {
    seen.push(event.type === 'turn-end' ? `turn-end:${event.status}:${event.text}` : event.type);
  }
  return seen;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createRunLoop', () => {
  it('runs the prompt and the input pushed during the run, then is idle again', async () => {
    const { protocol, turns } = fakeProtocol();
    const loop = createRunLoop(protocol);
    const events = collect(loop.prompt({ text: 'a' }));
    expect(loop.busy).toBe(true);
    expect(() => loop.prompt({ text: 'x' })).toThrow('a run is already active');
    expect(loop.push({ text: 'b' })).toBe(true);
    await tick();
    turns[0]?.finish('completed');
    await tick();
    turns[1]?.finish('completed');
    expect(await events).toEqual([
      'turn-start',
      'turn-end:completed:a',
      'turn-start',
      'turn-end:completed:b',
    ]);
    expect(loop.busy).toBe(false);
    expect(loop.push({ text: 'late' })).toBe(false);
  });

  it('interrupt() sends the interrupt and waits for the turn to end', async () => {
    const { protocol } = fakeProtocol();
    const loop = createRunLoop(protocol);
    const events = collect(loop.prompt({ text: 'a' }));
    await tick();
    await loop.interrupt();
    expect(protocol.interruptTurn).toHaveBeenCalledTimes(1);
    expect(loop.turn?.interruptRequested ?? true).toBe(true);
    expect(await events).toEqual(['turn-start', 'turn-end:interrupted:a']);
    await loop.interrupt();
    expect(protocol.interruptTurn).toHaveBeenCalledTimes(1);
  });

  it('an aborted signal or a consumer that stops early interrupts the turn and drops queued input', async () => {
    const { protocol, turns } = fakeProtocol();
    const loop = createRunLoop(protocol);
    const abort = new AbortController();
    const events = collect(loop.prompt({ text: 'a' }, { signal: abort.signal }));
    loop.push({ text: 'b' });
    await tick();
    abort.abort();
    expect(await events).toEqual(['turn-start', 'turn-end:interrupted:a']);
    expect(turns).toHaveLength(1);

    for await (const event of loop.prompt({ text: 'c' })) {
      expect(event.type).toBe('turn-start');
      break;
    }
    expect(protocol.interruptTurn).toHaveBeenCalledTimes(2);
  });

  it('compacts before the next run when asked, and after a turn at the threshold', async () => {
    const { protocol } = fakeProtocol({ auto: true, threshold: () => true });
    const loop = createRunLoop(protocol);
    loop.compact();
    expect(await collect(loop.prompt({ text: 'a' }))).toEqual([
      'compaction-end',
      'turn-start',
      'turn-end:completed:a',
      'compaction-end',
    ]);
    expect(vi.mocked(protocol.runCompaction).mock.calls.map(([reason]) => reason)).toEqual([
      'requested',
      'threshold',
    ]);
  });

  it('ends the stream with the error when the protocol throws', async () => {
    const { protocol } = fakeProtocol();
    protocol.runTurn = async () => {
      throw new Error('broken');
    };
    const loop = createRunLoop(protocol);
    await expect(collect(loop.prompt({ text: 'a' }))).rejects.toThrow('broken');
    expect(loop.busy).toBe(false);
  });

  it('close() ends the running turn as interrupted, stops the runtime once, and refuses new work', async () => {
    const { protocol } = fakeProtocol();
    const loop = createRunLoop(protocol);
    const events = collect(loop.prompt({ text: 'a' }));
    await tick();
    await Promise.all([loop.close(), loop.close()]);
    expect(protocol.stopRuntime).toHaveBeenCalledTimes(1);
    expect(protocol.interruptTurn).not.toHaveBeenCalled();
    expect(await events).toEqual(['turn-start', 'turn-end:interrupted:a']);
    expect(loop.closed).toBe(true);
    expect(() => loop.prompt({ text: 'b' })).toThrow('fake session is closed');
    expect(() => loop.compact()).toThrow('fake session is closed');
  });

  it('logs a failed interrupt instead of throwing it', async () => {
    const { protocol } = fakeProtocol();
    const warn = vi.fn();
    protocol.logger = { ...silentLogger, warn };
    protocol.interruptTurn = async (turn) => {
      turn.finish('interrupted');
      throw new Error('no route');
    };
    const loop = createRunLoop(protocol);
    const events = collect(loop.prompt({ text: 'a' }));
    await tick();
    await loop.interrupt();
    await events;
    await tick();
    expect(warn).toHaveBeenCalledWith(expect.anything(), 'fake could not interrupt the turn');
  });
});
