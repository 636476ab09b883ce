import { describe, expect, it } from 'vitest';
import { nextCronTime } from './cron.js';
import {
  dueTimesUntil,
  firstRunTime,
  MAX_COUNTED_DUE_TIMES,
  resumeTime,
  upcomingRunTimes,
} from './schedule.js';

const t = (text: string) => Date.parse(text);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The next `count` match times of a cron expression after `from`. */
function cronTimes(expression: string, zone: string, from: string, count: number): (string | null)[] {
  const out: (string | null)[] = [];
  let after = t(from);
  for (let i = 0; i < count; i += 1) {
    const next = nextCronTime(expression, zone, after);
    out.push(iso(next));
    if (next === null) break;
    after = next;
  }
  return out;
}

describe('cron across DST in Europe/London', () => {
  it('spring-forward: a 01:30 daily job runs once on the last Sunday of March, at 02:30 BST', () => {
    expect(cronTimes('30 1 * * *', 'Europe/London', '2025-03-29T00:00:00Z', 3)).toEqual([
      '2025-03-29T01:30:00.000Z', // 01:30 GMT
      '2025-03-30T01:30:00.000Z', // 01:30 does not exist: 02:30 BST
      '2025-03-31T00:30:00.000Z', // 01:30 BST
    ]);
  });

  it('fall-back: a 01:30 daily job runs once, not twice, on the last Sunday of October', () => {
    expect(cronTimes('30 1 * * *', 'Europe/London', '2025-10-25T00:00:00Z', 3)).toEqual([
      '2025-10-25T00:30:00.000Z', // 01:30 BST
      '2025-10-26T00:30:00.000Z', // first 01:30 (BST); the second (01:30 GMT at 01:30Z) is not used
      '2025-10-27T01:30:00.000Z', // 01:30 GMT
    ]);
  });

  it('fall-back with seconds (6 fields) still runs once', () => {
    expect(cronTimes('0 30 1 * * *', 'Europe/London', '2025-10-26T00:00:00Z', 2)).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('an hourly job runs every real hour through both transitions', () => {
    expect(cronTimes('0 * * * *', 'Europe/London', '2025-10-25T23:30:00Z', 4)).toEqual([
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T01:00:00.000Z',
      '2025-10-26T02:00:00.000Z',
      '2025-10-26T03:00:00.000Z',
    ]);
    expect(cronTimes('0 * * * *', 'Europe/London', '2025-03-29T23:30:00Z', 3)).toEqual([
      '2025-03-30T00:00:00.000Z',
      '2025-03-30T01:00:00.000Z',
      '2025-03-30T02:00:00.000Z',
    ]);
  });
});

describe('cron across DST in America/New_York', () => {
  it('spring-forward: a 02:30 daily job runs once, at 03:30 EDT', () => {
    expect(cronTimes('30 2 * * *', 'America/New_York', '2025-03-08T00:00:00Z', 3)).toEqual([
      '2025-03-08T07:30:00.000Z', // 02:30 EST
      '2025-03-09T07:30:00.000Z', // 02:30 does not exist: 03:30 EDT
      '2025-03-10T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('fall-back: a 01:30 daily job runs once', () => {
    expect(cronTimes('30 1 * * *', 'America/New_York', '2025-11-01T00:00:00Z', 3)).toEqual([
      '2025-11-01T05:30:00.000Z',
      '2025-11-02T05:30:00.000Z', // first 01:30 (EDT) only
      '2025-11-03T06:30:00.000Z',
    ]);
  });

  it('a weekday 09:00 job stays at 09:00 local across the change', () => {
    expect(cronTimes('0 9 * * 1-5', 'America/New_York', '2025-03-06T00:00:00Z', 3)).toEqual([
      '2025-03-06T14:00:00.000Z', // Thu, EST
      '2025-03-07T14:00:00.000Z', // Fri, EST
      '2025-03-10T13:00:00.000Z', // Mon, EDT
    ]);
  });
});

describe('firstRunTime', () => {
  const now = t('2025-01-01T00:00:00Z');
  it('cron: the next match after now (exclusive)', () => {
    expect(iso(firstRunTime({ kind: 'cron', expression: '0 0 * * *' }, 'UTC', now))).toBe(
      '2025-01-02T00:00:00.000Z',
    );
    expect(iso(firstRunTime({ kind: 'cron', expression: '*/10 * * * * *' }, 'UTC', now + 1))).toBe(
      '2025-01-01T00:00:10.000Z',
    );
  });
  it('interval: now + everyMs; once: its own time', () => {
    expect(firstRunTime({ kind: 'interval', everyMs: 5000 }, 'UTC', now)).toBe(now + 5000);
    expect(iso(firstRunTime({ kind: 'once', at: '2025-02-01T10:00' }, 'Europe/Paris', now))).toBe(
      '2025-02-01T09:00:00.000Z',
    );
  });
});

describe('dueTimesUntil', () => {
  it('keeps intervals anchored to the first due time, not to now', () => {
    const due = dueTimesUntil({ kind: 'interval', everyMs: 1000 }, 'UTC', 10_000, 13_500);
    expect(due).toEqual({
      first: 10_000,
      last: 13_000,
      beforeLast: 12_000,
      count: 4,
      capped: false,
      next: 14_000,
    });
  });

  it('lists the cron due times missed during downtime', () => {
    const due = dueTimesUntil(
      { kind: 'cron', expression: '0 * * * *' },
      'UTC',
      t('2025-01-01T01:00:00Z'),
      t('2025-01-01T04:30:00Z'),
    );
    expect(due.count).toBe(4);
    expect(iso(due.last)).toBe('2025-01-01T04:00:00.000Z');
    expect(iso(due.beforeLast)).toBe('2025-01-01T03:00:00.000Z');
    expect(iso(due.next)).toBe('2025-01-01T05:00:00.000Z');
  });

  it('caps the count after very long downtime and still finds the right next time', () => {
    const due = dueTimesUntil(
      { kind: 'cron', expression: '* * * * *' },
      'UTC',
      t('2025-01-01T00:00:00Z'),
      t('2025-01-03T00:00:30Z'),
    );
    expect(due.capped).toBe(true);
    expect(due.count).toBe(MAX_COUNTED_DUE_TIMES);
    expect(iso(due.last)).toBe('2025-01-03T00:00:00.000Z');
    expect(iso(due.beforeLast)).toBe('2025-01-02T23:59:00.000Z');
    expect(iso(due.next)).toBe('2025-01-03T00:01:00.000Z');
    const interval = dueTimesUntil({ kind: 'interval', everyMs: 1 }, 'UTC', 0, 5_000_000);
    expect(interval).toMatchObject({
      capped: true,
      count: MAX_COUNTED_DUE_TIMES,
      last: 5_000_000,
      next: 5_000_001,
    });
  });

  it('a once-task has exactly one due time and nothing after', () => {
    expect(dueTimesUntil({ kind: 'once', at: '2025-01-01T00:00:00Z' }, 'UTC', 5, 100)).toEqual({
      first: 5,
      last: 5,
      beforeLast: null,
      count: 1,
      capped: false,
      next: null,
    });
  });
});

describe('resumeTime', () => {
  it('keeps the interval phase and skips to the first time after now', () => {
    expect(resumeTime({ kind: 'interval', everyMs: 1000 }, 'UTC', 10_000, 12_300)).toBe(13_000);
    expect(resumeTime({ kind: 'interval', everyMs: 1000 }, 'UTC', 20_000, 12_300)).toBe(20_000);
  });
  it('keeps a once-time as it is', () => {
    expect(resumeTime({ kind: 'once', at: '2025-01-01T00:00:00Z' }, 'UTC', 5, 100)).toBe(5);
  });
});

describe('upcomingRunTimes', () => {
  it("lists a cron task's next three runs from its next run, in its zone", () => {
    const next = t('2025-03-29T01:30:00Z');
    expect(
      upcomingRunTimes({ kind: 'cron', expression: '30 1 * * *' }, 'Europe/London', next).map(iso),
    ).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
  });

  it('keeps an interval anchored to the next run, gives a once-task one time, and nothing without a next run', () => {
    expect(upcomingRunTimes({ kind: 'interval', everyMs: 1000 }, 'UTC', 5000)).toEqual([5000, 6000, 7000]);
    expect(upcomingRunTimes({ kind: 'once', at: '2030-01-01T00:00' }, 'UTC', 42)).toEqual([42]);
    expect(upcomingRunTimes({ kind: 'interval', everyMs: 1000 }, 'UTC', null)).toEqual([]);
  });
});
