import { invalid } from './errors.js';
import { type WallTime, wallTimeAsUtc, wallTimeToEpoch } from './zoned-time.js';

/** The latest calendar year a once-time may name. */
export const MAX_ONCE_YEAR = 9999;
/** The earliest calendar year a once-time may name. */
export const MIN_ONCE_YEAR = 1970;
const MAX_OFFSET_MINUTES = 18 * 60;

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EXTENDED_YEAR_PATTERN = /^(?:[+-]\d{5,}|\d{5,})-/;

/** A once-time read into an instant. */
export interface OnceTime {
  epochMs: number;
  /** True when the text carried `Z` or an offset; false when it was read in the task's time zone. */
  hadOffset: boolean;
}

/**
 * Reads an ISO 8601 date-time: `2025-06-01T09:00:00+01:00`, `2025-06-01T08:00:00Z`, or without an offset
 * (`2025-06-01T09:00`, `2025-06-01`) in which case it is wall-clock time in `timeZone` (see `wallTimeToEpoch`
 * for the DST gap and overlap rule). Throws `ScheduleValidationError` naming `field`.
 */
export function parseOnceTime(text: string, timeZone: string, field = 'schedule.at'): OnceTime {
  const trimmed = text.trim();
  if (EXTENDED_YEAR_PATTERN.test(trimmed)) {
    throw invalid(field, `"${text}" is beyond year ${MAX_ONCE_YEAR}`);
  }
  const match = ISO_PATTERN.exec(trimmed);
  if (!match) {
    throw invalid(
      field,
      `"${text}" is not an ISO 8601 date-time; use e.g. "2030-06-01T09:00:00+01:00", "2030-06-01T08:00:00Z" or "2030-06-01T09:00" (read in the task's time zone)`,
    );
  }
  const wall = readWallTime(match, text, field);
  const offset = match[8];
  if (offset === undefined) return { epochMs: wallTimeToEpoch(wall, timeZone), hadOffset: false };
  return { epochMs: wallTimeAsUtc(wall) - offsetMinutes(offset, text, field) * 60_000, hadOffset: true };
}

function readWallTime(match: RegExpExecArray, text: string, field: string): WallTime {
  const wall: WallTime = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4] ?? 0),
    minute: Number(match[5] ?? 0),
    second: Number(match[6] ?? 0),
    millisecond: Number((match[7] ?? '0').slice(0, 3).padEnd(3, '0')),
  };
  if (wall.year > MAX_ONCE_YEAR) throw invalid(field, `"${text}" is beyond year ${MAX_ONCE_YEAR}`);
  if (wall.year < MIN_ONCE_YEAR) throw invalid(field, `"${text}" is before year ${MIN_ONCE_YEAR}`);
  if (wall.month < 1 || wall.month > 12) throw invalid(field, `"${text}" has no month ${wall.month}`);
  const daysInMonth = new Date(Date.UTC(2000, wall.month, 0)).getUTCDate();
  const lastDay = wall.month === 2 && !isLeapYear(wall.year) ? 28 : daysInMonth;
  if (wall.day < 1 || wall.day > lastDay) {
    throw invalid(field, `"${text}" has no day ${wall.day} in month ${wall.month}`);
  }
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 59) {
    throw invalid(field, `"${text}" is not a valid time of day (00:00:00-23:59:59)`);
  }
  return wall;
}

function offsetMinutes(offset: string, text: string, field: string): number {
  if (offset === 'Z' || offset === 'z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  const total = hours * 60 + minutes;
  if (minutes > 59 || total > MAX_OFFSET_MINUTES) {
    throw invalid(field, `"${text}" has an impossible UTC offset ${offset}`);
  }
  return sign * total;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
