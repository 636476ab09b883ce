import { afterEach, describe, expect, it, vi } from 'vitest';
import { BuildMemo } from './build-memo.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('BuildMemo', () => {
  it('shares one build among concurrent requests, and builds again once it succeeded', async () => {
    const memo = new BuildMemo<string>({ failureMs: 60_000 });
    let builds = 0;
    const build = async () => `built ${++builds}`;
    expect(await Promise.all([memo.run('a', build), memo.run('a', build)])).toEqual(['built 1', 'built 1']);
    expect(await memo.run('a', build)).toBe('built 2');
  });

  it('answers a burst after a failure with that failure, without building, then tries again', async () => {
    vi.useFakeTimers();
    const memo = new BuildMemo<string>({ failureMs: 60_000 });
    let builds = 0;
    const build = async () => {
      builds++;
      throw new Error('the mirror did not answer');
    };
    for (let message = 0; message < 5; message++)
      await expect(memo.run('base', build)).rejects.toThrow('the mirror did not answer');
    expect(builds).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(memo.run('base', build)).rejects.toThrow('the mirror did not answer');
    expect(builds).toBe(2);
  });

  it('keeps a failure that stands for good', async () => {
    vi.useFakeTimers();
    const memo = new BuildMemo<string>({ failureMs: 1_000, forever: () => true });
    let builds = 0;
    const build = async () => {
      builds++;
      throw new Error('no such package');
    };
    await expect(memo.run('typo', build)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(memo.run('typo', build)).rejects.toThrow();
    expect(builds).toBe(1);
  });
});
