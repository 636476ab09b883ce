import { describe, expect, it } from 'vitest';
import {
  describeSchedule,
  formatCount,
  formatDuration,
  formatTime,
  parseInterval,
  timeZoneOptions,
  truncate,
} from './format.js';

describe('formatting', () => {
  it('formats times in a time zone', () => {
    const t = Date.UTC(2026, 11, 7, 18, 5);
    expect(formatTime(t, 'UTC')).toBe('2026-12-07 18:05');
    expect(formatTime(t, 'Asia/Tokyo')).toBe('2026-12-08 03:05');
    expect(formatTime(Date.UTC(2026, 0, 1, 0, 0), 'UTC')).toBe('2026-01-01 00:00');
    expect(formatTime(null)).toBe('—');
  });

  it.each([
    [950, '950 ms'],
    [12_300, '12.3 s'],
    [5_000, '5 s'],
    [125_000, '2 min 5 s'],
    [900_000, '15 min'],
    [7_500_000, '2 h 5 min'],
    [86_400_000, '24 h'],
    [null, '—'],
    [-1, '—'],
  ])('duration %s → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('formats counts and cuts long text', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('describes schedules', () => {
    expect(describeSchedule({ kind: 'cron', expression: '0 9 * * 1-5' })).toBe('cron 0 9 * * 1-5');
    expect(describeSchedule({ kind: 'interval', everyMs: 900_000 })).toBe('every 15 min');
    expect(describeSchedule({ kind: 'once', at: '2026-12-24T09:00' })).toBe('once at 2026-12-24T09:00');
  });

  it('always offers the current zone and UTC', () => {
    const zones = timeZoneOptions('Mars/Olympus_Mons');
    expect(zones).toContain('Mars/Olympus_Mons');
    expect(zones).toContain('UTC');
    expect(zones).toEqual([...zones].sort((a, b) => a.localeCompare(b)));
  });
});

describe('parseInterval', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['15 min', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['500ms', 500],
    ['10', 600_000],
    ['1.5h', 5_400_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseInterval(text)).toBe(ms);
  });

  it.each(['', 'soon', '5 parsecs', '0m', 'h'])('refuses %j', (text) => {
    expect(parseInterval(text)).toBeNull();
  });
});
