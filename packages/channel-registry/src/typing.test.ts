import { describe, expect, it } from 'vitest';
import type { Timers } from './backoff.js';
import { createTypingTracker } from './typing.js';

function manualTimers() {
  const pending = new Map<number, () => void>();
  let id = 0;
  const timers: Timers = {
    setTimeout: (fn) => {
      id += 1;
      pending.set(id, fn);
      return id;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  const fire = () => {
    const due = [...pending.entries()];
    pending.clear();
    for (const [, fn] of due) fn();
  };
  return { timers, fire, pending };
}

describe('createTypingTracker', () => {
  it('sends at once, renews until stopped, per chat', async () => {
    const sent: string[] = [];
    const clock = manualTimers();
    const tracker = createTypingTracker({
      refreshMs: 4000,
      timers: clock.timers,
      sendTyping: async (chat) => {
        sent.push(chat);
      },
      onError: () => {},
    });
    await tracker.start('a');
    await tracker.start('b');
    expect(sent).toEqual(['a', 'b']);
    clock.fire();
    expect(sent).toEqual(['a', 'b', 'a', 'b']);
    tracker.stop('a');
    clock.fire();
    expect(sent).toEqual(['a', 'b', 'a', 'b', 'b']);
    tracker.stopAll();
    expect(clock.pending.size).toBe(0);
  });

  it('reports renewal errors instead of throwing, and propagates the first one', async () => {
    const errors: unknown[] = [];
    const clock = manualTimers();
    let fail = false;
    const tracker = createTypingTracker({
      refreshMs: 1,
      timers: clock.timers,
      sendTyping: async () => {
        if (fail) throw new Error('nope');
      },
      onError: (_chat, error) => errors.push(error),
    });
    await tracker.start('a');
    fail = true;
    clock.fire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    await expect(tracker.start('b')).rejects.toThrow('nope');
  });
});
