import { describe, expect, it } from 'vitest';
import { formatTimestamp } from './format-time.js';

describe('formatTimestamp', () => {
  it.each([
    ['2026-11-24T09:00:00Z', 'UTC', '2026-11-24 09:00 +00:00'],
    ['2026-11-24T09:00:00Z', 'Europe/London', '2026-11-24 09:00 +00:00'],
    ['2026-07-01T09:00:00Z', 'Europe/London', '2026-07-01 10:00 +01:00'],
    ['2026-11-24T09:00:00Z', 'America/New_York', '2026-11-24 04:00 -05:00'],
    ['2026-11-24T09:00:00Z', 'Asia/Kolkata', '2026-11-24 14:30 +05:30'],
    ['2026-12-31T23:59:00Z', 'Pacific/Auckland', '2027-01-01 12:59 +13:00'],
    ['2026-11-24T00:05:00Z', 'UTC', '2026-11-24 00:05 +00:00'],
  ])('%s in %s → %s', (iso, zone, expected) => {
    expect(formatTimestamp(Date.parse(iso), zone)).toBe(expected);
  });
});
