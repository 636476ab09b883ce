import { describe, expect, it } from 'vitest';
import { createFakeWaiters } from './fake-platform-kit.js';

describe('createFakeWaiters', () => {
  it('resolves once the check holds after a notify, and times out naming what it waited for', async () => {
    const waiters = createFakeWaiters('fake Chat');
    let posted = 0;
    const waiting = waiters.waitUntil(() => posted >= 1, 1_000, 'a post');
    posted = 1;
    waiters.notify();
    await expect(waiting).resolves.toBeUndefined();
    await expect(waiters.waitUntil(() => false, 10, 'nothing')).rejects.toThrow(
      'fake Chat: timed out after 10 ms waiting for nothing',
    );
  });
});
