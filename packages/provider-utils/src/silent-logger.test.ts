import { describe, expect, it } from 'vitest';
import { silentLogger } from './silent-logger.js';

describe('silentLogger', () => {
  it('accepts every level and returns itself as a child', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      expect(silentLogger[level]({ a: 1 }, 'message')).toBeUndefined();
    }
    expect(silentLogger.child({ provider: 'x' })).toBe(silentLogger);
  });
});
