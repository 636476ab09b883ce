import { describe, expect, it, vi } from 'vitest';
import { createAsyncQueue } from './async-queue.js';

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('createAsyncQueue', () => {
  it('yields buffered values in order, then ends', async () => {
    const queue = createAsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    queue.end();
    expect(queue.ended).toBe(true);
    expect(await drain(queue)).toEqual([1, 2]);
  });

  it('wakes a waiting consumer on push and on end', async () => {
    const queue = createAsyncQueue<string>();
    const result = drain(queue);
    await Promise.resolve();
    queue.push('a');
    await new Promise((r) => setTimeout(r, 0));
    queue.push('b');
    queue.end();
    expect(await result).toEqual(['a', 'b']);
  });

  it('throws the end error after the buffered values', async () => {
    const queue = createAsyncQueue<number>();
    const seen: number[] = [];
    queue.push(1);
    queue.end(new Error('boom'));
    await expect(
      (async () => {
        for await (const value of queue) seen.push(value);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });

  it('ignores push and end once ended', async () => {
    const queue = createAsyncQueue<number>();
    queue.end();
    queue.push(1);
    queue.end(new Error('late'));
    expect(await drain(queue)).toEqual([]);
  });

  it('runs onCancel once when the consumer stops early, and drops what was buffered', async () => {
    const onCancel = vi.fn();
    const queue = createAsyncQueue<number>(onCancel);
    queue.push(1);
    queue.push(2);
    for await (const value of queue) {
      expect(value).toBe(1);
      break;
    }
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(queue.ended).toBe(true);
    queue.push(3);
    queue.end();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(await drain(queue)).toEqual([]);
  });

  it('does not run onCancel when the stream ended normally', async () => {
    const onCancel = vi.fn();
    const queue = createAsyncQueue<number>(onCancel);
    queue.push(1);
    queue.end();
    for await (const _ of queue) break;
    expect(onCancel).not.toHaveBeenCalled();
  });
});
