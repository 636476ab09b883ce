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

  it('never rejects: it has no reject, and an Error given to resolve is a value', async () => {
    const deferred = new Deferred<unknown>();
    expect('reject' in deferred).toBe(false);
    const error = new Error('not a rejection');
    deferred.resolve(error);
    await expect(deferred.promise).resolves.toBe(error);
  });
});
