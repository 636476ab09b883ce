import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';

describe('silentLogger', () => {
  it('drops every level and is its own child', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      expect(silentLogger[level]({ a: 1 }, 'message')).toBeUndefined();
    }
    expect(silentLogger.child({ component: 'x' })).toBe(silentLogger);
  });
});
