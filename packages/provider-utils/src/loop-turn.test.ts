import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoopTurn } from './loop-turn.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('LoopTurn', () => {
  it('keeps the first status', async () => {
    const turn = new LoopTurn();
    expect(turn.status).toBeUndefined();
    turn.finish('completed');
    turn.finish('failed');
    expect(turn.status).toBe('completed');
    await expect(turn.done).resolves.toBe('completed');
  });

  it('arms the interrupt once and runs its timeout while the turn still runs', () => {
    vi.useFakeTimers();
    const turn = new LoopTurn();
    const onTimeout = vi.fn(() => turn.finish('interrupted'));
    expect(turn.startInterrupt(100, onTimeout)).toBe(true);
    expect(turn.interruptSent).toBe(true);
    expect(turn.startInterrupt(100, onTimeout)).toBe(false);
    vi.advanceTimersByTime(100);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(turn.status).toBe('interrupted');
  });

  it('skips the timeout when the turn ended first, and refuses an interrupt after the end', async () => {
    vi.useFakeTimers();
    const turn = new LoopTurn();
    const onTimeout = vi.fn();
    turn.startInterrupt(100, onTimeout);
    turn.finish('completed');
    await Promise.resolve();
    vi.advanceTimersByTime(200);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(new LoopTurnEnded().startInterrupt(1, onTimeout)).toBe(false);
  });
});

class LoopTurnEnded extends LoopTurn {
  constructor() {
    super();
    this.finish('failed');
  }
}
