import { describe, expect, it } from 'vitest';
import { LazyAbort } from './lazy-abort.js';

describe('LazyAbort', () => {
  it('aborts a signal read before the abort', () => {
    const lazy = new LazyAbort();
    const { signal } = lazy;
    lazy.abort('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
  });

  it('hands out an aborted signal when read after the abort, and keeps the first reason', () => {
    const lazy = new LazyAbort();
    lazy.abort('first');
    lazy.abort('second');
    expect(lazy.aborted).toBe(true);
    expect(lazy.signal.aborted).toBe(true);
    expect(lazy.signal.reason).toBe('first');
    expect(lazy.reason).toBe('first');
  });
});
