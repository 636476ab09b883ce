import { describe, expect, it } from 'vitest';
import { SeqLane } from './seq-lane.js';

const entry = (seq: number) => ({ seq });
const seqs = (lane: SeqLane<{ seq: number }>) => lane.values().map((e) => e.seq);

describe('SeqLane', () => {
  it('is FIFO by seq', () => {
    const lane = new SeqLane<{ seq: number }>();
    for (const seq of [1, 2, 3]) lane.insert(entry(seq));
    expect(lane.shift()?.seq).toBe(1);
    expect(lane.peek()?.seq).toBe(2);
    expect(lane.size).toBe(2);
  });

  it('puts an item back at its place', () => {
    const lane = new SeqLane<{ seq: number }>();
    for (const seq of [1, 2, 3, 5]) lane.insert(entry(seq));
    const first = lane.shift();
    lane.insert(entry(4));
    if (first) lane.insert(first);
    expect(seqs(lane)).toEqual([1, 2, 3, 4, 5]);
  });

  it('inserts before the head into an empty lane and out of order', () => {
    const lane = new SeqLane<{ seq: number }>();
    lane.insert(entry(3));
    lane.insert(entry(1));
    lane.insert(entry(2));
    expect(seqs(lane)).toEqual([1, 2, 3]);
  });

  it('removes an item anywhere', () => {
    const lane = new SeqLane<{ seq: number }>();
    const items = [1, 2, 3, 4].map(entry);
    for (const item of items) lane.insert(item);
    expect(lane.remove(items[2]!)).toBe(true);
    expect(lane.remove(items[0]!)).toBe(true);
    expect(lane.remove(entry(9))).toBe(false);
    expect(seqs(lane)).toEqual([2, 4]);
  });

  it('stays correct across compaction', () => {
    const lane = new SeqLane<{ seq: number }>();
    for (let seq = 1; seq <= 5000; seq += 1) lane.insert(entry(seq));
    for (let n = 0; n < 3000; n += 1) lane.shift();
    lane.insert(entry(10));
    expect(lane.size).toBe(2001);
    expect(lane.peek()?.seq).toBe(10);
    expect(lane.shift()?.seq).toBe(10);
    expect(lane.shift()?.seq).toBe(3001);
    while (lane.shift());
    expect(lane.size).toBe(0);
    expect(lane.peek()).toBeUndefined();
  });
});
