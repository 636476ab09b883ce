import { describe, expect, it } from 'vitest';
import { createDedupe } from './dedupe.js';

describe('createDedupe', () => {
  it('runs a key once and skips it afterwards', async () => {
    const dedupe = createDedupe();
    let runs = 0;
    const task = async () => {
      runs += 1;
    };
    expect(await dedupe.run('a', task)).toBe(true);
    expect(await dedupe.run('a', task)).toBe(false);
    expect(await dedupe.run('b', task)).toBe(true);
    expect(runs).toBe(2);
    expect(dedupe.has('a')).toBe(true);
  });

  it('joins a second delivery to the one in flight', async () => {
    const dedupe = createDedupe();
    let release = () => {};
    let runs = 0;
    const first = dedupe.run('k', () => {
      runs += 1;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    let secondDone = false;
    const second = dedupe
      .run('k', async () => {
        runs += 1;
      })
      .then((ran) => {
        secondDone = true;
        return ran;
      });
    await Promise.resolve();
    expect(secondDone).toBe(false);
    release();
    expect(await first).toBe(true);
    expect(await second).toBe(false);
    expect(runs).toBe(1);
  });

  it('does not remember a failed task', async () => {
    const dedupe = createDedupe();
    await expect(dedupe.run('x', async () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(dedupe.has('x')).toBe(false);
    expect(await dedupe.run('x', async () => {})).toBe(true);
  });

  it('forgets the oldest keys past its bound', async () => {
    const dedupe = createDedupe(2);
    for (const key of ['a', 'b', 'c']) await dedupe.run(key, async () => {});
    expect(dedupe.size).toBe(2);
    expect(dedupe.has('a')).toBe(false);
    expect(dedupe.has('c')).toBe(true);
  });
});
