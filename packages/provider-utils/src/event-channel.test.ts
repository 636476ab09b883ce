import { describe, expect, it, vi } from 'vitest';
import { createEventChannel } from './event-channel.js';

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('createEventChannel', () => {
  it('yields buffered values in order, then ends', async () => {
    const channel = createEventChannel<number>();
    channel.push(1);
    channel.push(2);
    channel.end();
    expect(channel.ended).toBe(true);
    expect(await drain(channel)).toEqual([1, 2]);
  });

  it('wakes a waiting consumer on push and on end', async () => {
    const channel = createEventChannel<string>();
    const result = drain(channel);
    await Promise.resolve();
    channel.push('a');
    await new Promise((r) => setTimeout(r, 0));
    channel.push('b');
    channel.end();
    expect(await result).toEqual(['a', 'b']);
  });

  it('throws the end error after the buffered values', async () => {
    const channel = createEventChannel<number>();
    const seen: number[] = [];
    channel.push(1);
    channel.end(new Error('boom'));
    await expect(
      (async () => {
        for await (const value of channel) seen.push(value);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });

  it('ignores push and end once ended', async () => {
    const channel = createEventChannel<number>();
    channel.end();
    channel.push(1);
    channel.end(new Error('late'));
    expect(await drain(channel)).toEqual([]);
  });

  it('runs onCancel once when the consumer stops early, and drops what was buffered', async () => {
    const onCancel = vi.fn();
    const channel = createEventChannel<number>(onCancel);
    channel.push(1);
    channel.push(2);
    for await (const value of channel) {
      expect(value).toBe(1);
      break;
    }
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(channel.ended).toBe(true);
    channel.push(3);
    channel.end();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(await drain(channel)).toEqual([]);
  });

  it('does not run onCancel when the stream ended normally', async () => {
    const onCancel = vi.fn();
    const channel = createEventChannel<number>(onCancel);
    channel.push(1);
    channel.end();
    for await (const _ of channel) break;
    expect(onCancel).not.toHaveBeenCalled();
  });
});
