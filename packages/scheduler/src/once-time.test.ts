import { errorMessage } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { ScheduleValidationError } from './errors.js';
import { parseOnceTime } from './once-time.js';

const at = (text: string, zone = 'Europe/London') =>
  new Date(parseOnceTime(text, zone).epochMs).toISOString();

describe('parseOnceTime', () => {
  it('honours Z and explicit offsets whatever the zone', () => {
    expect(at('2030-06-01T08:00:00Z', 'Asia/Tokyo')).toBe('2030-06-01T08:00:00.000Z');
    expect(at('2030-06-01T09:00:00+01:00', 'America/New_York')).toBe('2030-06-01T08:00:00.000Z');
    expect(at('2030-06-01T03:00:00-0500')).toBe('2030-06-01T08:00:00.000Z');
    expect(at('2030-06-01T10:00+02')).toBe('2030-06-01T08:00:00.000Z');
    expect(at('2030-06-01T08:00:00.250Z')).toBe('2030-06-01T08:00:00.250Z');
    expect(parseOnceTime('2030-06-01T08:00:00Z', 'UTC').hadOffset).toBe(true);
  });

  it("reads a time without an offset in the task's zone, DST included", () => {
    expect(at('2030-06-01T09:00:00', 'Europe/London')).toBe('2030-06-01T08:00:00.000Z');
    expect(at('2030-01-01T09:00', 'Europe/London')).toBe('2030-01-01T09:00:00.000Z');
    expect(at('2030-06-01 09:00', 'America/New_York')).toBe('2030-06-01T13:00:00.000Z');
    expect(at('2030-06-01', 'Asia/Tokyo')).toBe('2030-05-31T15:00:00.000Z');
    expect(parseOnceTime('2030-06-01T09:00', 'UTC').hadOffset).toBe(false);
    // London springs forward on 2030-03-31: 01:30 does not exist and means 02:30 BST.
    expect(at('2030-03-31T01:30:00', 'Europe/London')).toBe('2030-03-31T01:30:00.000Z');
  });

  it.each([
    ['tomorrow at nine', 'not an ISO 8601'],
    ['2030-13-01T00:00:00Z', 'no month 13'],
    ['2030-02-29T00:00:00Z', 'no day 29'],
    ['2030-04-31T00:00:00Z', 'no day 31'],
    ['2030-06-01T24:00:00Z', 'valid time of day'],
    ['2030-06-01T12:00:00+19:00', 'impossible UTC offset'],
    ['+10000-01-01T00:00:00Z', 'beyond year 9999'],
    ['10000-01-01T00:00:00Z', 'beyond year 9999'],
    ['1969-12-31T00:00:00Z', 'before year 1970'],
  ])('refuses %s', (text, reason) => {
    let error: unknown;
    try {
      parseOnceTime(text, 'UTC');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScheduleValidationError);
    expect((error as ScheduleValidationError).field).toBe('schedule.at');
    expect(errorMessage(error)).toContain(reason);
  });

  it('accepts 29 February in a leap year and the last moment of 9999', () => {
    expect(at('2028-02-29T12:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
    expect(at('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59.000Z');
  });
});
