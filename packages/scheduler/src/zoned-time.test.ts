import { describe, expect, it } from 'vitest';
import { type WallTime, wallTimeToEpoch, zoneOffsetAt } from './zoned-time.js';

const wall = (text: string): WallTime => {
  const [date = '', time = '00:00:00'] = text.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute, second] = time.split(':').map(Number);
  return {
    year: year ?? 0,
    month: month ?? 1,
    day: day ?? 1,
    hour: hour ?? 0,
    minute: minute ?? 0,
    second: second ?? 0,
    millisecond: 0,
  };
};
const iso = (ms: number) => new Date(ms).toISOString();

describe('zoneOffsetAt', () => {
  it('reads summer and winter offsets', () => {
    expect(zoneOffsetAt(Date.parse('2025-07-01T12:00:00Z'), 'Europe/London')).toBe(3_600_000);
    expect(zoneOffsetAt(Date.parse('2025-01-01T12:00:00Z'), 'Europe/London')).toBe(0);
    expect(zoneOffsetAt(Date.parse('2025-01-01T12:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zoneOffsetAt(Date.parse('2025-01-01T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });
});

describe('wallTimeToEpoch', () => {
  it('reads an ordinary wall time in the zone', () => {
    expect(iso(wallTimeToEpoch(wall('2025-07-01T09:00:00'), 'Europe/London'))).toBe(
      '2025-07-01T08:00:00.000Z',
    );
    expect(iso(wallTimeToEpoch(wall('2025-01-15T09:00:00'), 'America/New_York'))).toBe(
      '2025-01-15T14:00:00.000Z',
    );
    expect(iso(wallTimeToEpoch(wall('2025-01-15T09:00:00'), 'UTC'))).toBe('2025-01-15T09:00:00.000Z');
  });

  it('moves a time in the spring-forward gap forward by the gap (London 01:30 -> 02:30 BST)', () => {
    expect(iso(wallTimeToEpoch(wall('2025-03-30T01:30:00'), 'Europe/London'))).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(iso(wallTimeToEpoch(wall('2025-03-09T02:30:00'), 'America/New_York'))).toBe(
      '2025-03-09T07:30:00.000Z',
    );
  });

  it('takes the first occurrence of a time in the fall-back overlap', () => {
    // 01:30 happens at 00:30Z (BST) and again at 01:30Z (GMT).
    expect(iso(wallTimeToEpoch(wall('2025-10-26T01:30:00'), 'Europe/London'))).toBe(
      '2025-10-26T00:30:00.000Z',
    );
    // 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(iso(wallTimeToEpoch(wall('2025-11-02T01:30:00'), 'America/New_York'))).toBe(
      '2025-11-02T05:30:00.000Z',
    );
  });

  it('handles the edges of the transitions exactly', () => {
    expect(iso(wallTimeToEpoch(wall('2025-03-30T00:59:59'), 'Europe/London'))).toBe(
      '2025-03-30T00:59:59.000Z',
    );
    expect(iso(wallTimeToEpoch(wall('2025-03-30T02:00:00'), 'Europe/London'))).toBe(
      '2025-03-30T01:00:00.000Z',
    );
    expect(iso(wallTimeToEpoch(wall('2025-10-26T02:00:00'), 'Europe/London'))).toBe(
      '2025-10-26T02:00:00.000Z',
    );
  });

  it('handles half-hour DST (Lord Howe) and a skipped calendar day (Samoa, 2011)', () => {
    // Lord Howe springs forward from 02:00 to 02:30 on 2025-10-05.
    expect(iso(wallTimeToEpoch(wall('2025-10-05T02:15:00'), 'Australia/Lord_Howe'))).toBe(
      '2025-10-04T15:45:00.000Z',
    );
    // Samoa skipped 2011-12-30 entirely; it reads as the same wall time a day later.
    expect(iso(wallTimeToEpoch(wall('2011-12-30T12:00:00'), 'Pacific/Apia'))).toBe(
      '2011-12-30T22:00:00.000Z',
    );
  });
});
