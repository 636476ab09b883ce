/**
 * Wall-clock time in an IANA time zone, with nothing but `Intl`. Used to read once-times written without an
 * offset.
 */

/** A calendar date and time of day, as written on a wall clock. Month is 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Epoch ms of a wall time read as UTC. Safe for years 0-99 too (unlike `Date.UTC`). */
export function wallTimeAsUtc(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich: London in summer is +3600000). */
export function zoneOffsetAt(epochMs: number, timeZone: string): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(wholeSecond)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = wallTimeAsUtc({
    year: fields.year ?? 1970,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
    millisecond: 0,
  });
  return asUtc - wholeSecond;
}

/** `2030-06-01 09:00:05` (the wall clock of an instant in a zone, to the second). */
export function formatWallTime(epochMs: number, timeZone: string): string {
  return new Date(epochMs + zoneOffsetAt(epochMs, timeZone)).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The instant a wall time denotes in a zone. Same rule as cron and as `Temporal`'s `disambiguation:
 * 'compatible'`:
 * - a time that occurs twice (the fall-back overlap) means the first of the two (the earlier instant);
 * - a time that never occurs (the spring-forward gap) is moved forward by the length of the gap, so 01:30 on
 *   the day London springs forward means 02:30 BST.
 * Assumes at most one offset change within a day either side, which holds for every zone in the tz database.
 */
export function wallTimeToEpoch(wall: WallTime, timeZone: string): number {
  const local = wallTimeAsUtc(wall);
  const offsetBefore = zoneOffsetAt(local - DAY_MS, timeZone);
  const offsetAfter = zoneOffsetAt(local + DAY_MS, timeZone);
  const matches = [local - offsetBefore, local - offsetAfter].filter(
    (candidate) => candidate + zoneOffsetAt(candidate, timeZone) === local,
  );
  if (matches.length > 0) return Math.min(...matches);
  return local - offsetBefore;
}
