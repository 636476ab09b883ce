import { describe, expect, it } from 'vitest';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('passes the value through when the promise is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
  });

  it('rejects with the timeout error when the promise is too slow', async () => {
    const never = new Promise<number>(() => {});
    await expect(withTimeout(never, 10, () => new Error('did not start in 10 ms'))).rejects.toThrow(
      'did not start in 10 ms',
    );
  });
});
