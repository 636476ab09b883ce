import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads single and combined units', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration(' 1.5h ')).toBe(5_400_000);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', '15', 'm', '15 minutes', '-5m', '0m', '1h 30m', '5y']) {
      expect(parseDuration(text)).toBeUndefined();
    }
  });
});

describe('formatDuration', () => {
  it('writes the shortest form', () => {
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_000)).toBe('1d1h1m1s');
    expect(formatDuration(250)).toBe('250ms');
  });
});
