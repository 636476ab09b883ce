import { describe, expect, it } from 'vitest';
import { createDueQueue } from './due-queue.js';

function drain(queue: ReturnType<typeof createDueQueue>): string[] {
  const out: string[] = [];
  for (let top = queue.pop(); top; top = queue.pop()) out.push(top.id);
  return out;
}

describe('createDueQueue', () => {
  it('pops in due order, first-in first-out on ties', () => {
    const queue = createDueQueue();
    queue.set('c', 30);
    queue.set('a', 10);
    queue.set('b1', 20);
    queue.set('b2', 20);
    expect(queue.peek()).toEqual({ id: 'a', at: 10 });
    expect(drain(queue)).toEqual(['a', 'b1', 'b2', 'c']);
  });

  it('moves an id when set again and forgets deleted ids', () => {
    const queue = createDueQueue();
    queue.set('a', 10);
    queue.set('b', 20);
    queue.set('c', 30);
    queue.set('a', 40);
    expect(queue.delete('b')).toBe(true);
    expect(queue.delete('b')).toBe(false);
    expect(queue.has('a')).toBe(true);
    expect(queue.size).toBe(2);
    expect(drain(queue)).toEqual(['c', 'a']);
  });

  it('matches a sort under random inserts, moves and deletes', () => {
    const queue = createDueQueue();
    const model = new Map<string, number>();
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i += 1) {
      const id = `t${Math.floor(random() * 500)}`;
      if (random() < 0.2) {
        queue.delete(id);
        model.delete(id);
      } else {
        const at = Math.floor(random() * 1_000_000);
        queue.set(id, at);
        model.set(id, at);
      }
    }
    const popped: number[] = [];
    for (let top = queue.pop(); top; top = queue.pop()) {
      expect(model.get(top.id)).toBe(top.at);
      popped.push(top.at);
    }
    expect(popped).toHaveLength(model.size);
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
  });
});
