import { describe, expect, it } from 'vitest';
import { silentLogger } from './silent-logger.js';

describe('silentLogger', () => {
  it('accepts every call, and its children are silent too', () => {
    const logger = silentLogger();
    expect(() => logger.child({ a: 1 }).error({ err: 'x' }, 'dropped')).not.toThrow();
    expect(logger.child({})).toBe(logger);
  });
});
