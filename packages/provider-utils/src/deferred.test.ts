import { describe, expect, it } from 'vitest';
import { Deferred } from './deferred.js';

describe('Deferred', () => {
  it('resolves once, with the first value', async () => {
    const deferred = new Deferred<number>();
    expect(deferred.settled).toBe(false);
    expect(deferred.resolve(1)).toBe(true);
    expect(deferred.resolve(2)).toBe(false);
    expect(deferred.settled).toBe(true);
    await expect(deferred.promise).resolves.toBe(1);
  });
});
