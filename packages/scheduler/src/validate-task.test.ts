import type { NewTask } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { ScheduleValidationError } from './errors.js';
import { MAX_INTERVAL_MS, validateTask } from './validate-task.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const context = { defaultTimezone: 'Europe/London', now, limits: { minIntervalMs: 1000, strict: false } };
const strict = { ...context, limits: { ...context.limits, strict: true } };
const base: NewTask = {
  groupId: 'g1',
  prompt: 'summarise the news',
  schedule: { kind: 'interval', everyMs: 60_000 },
};

function refusal(input: unknown, ctx = context): ScheduleValidationError {
  try {
    validateTask(input as NewTask, ctx);
  } catch (error) {
    if (error instanceof ScheduleValidationError) return error;
    throw error;
  }
  throw new Error('expected a ScheduleValidationError');
}

describe('validateTask', () => {
  it('fills in defaults: host zone, misfire policy by kind, first run', () => {
    const cron = validateTask({ ...base, schedule: { kind: 'cron', expression: '0 9 * * *' } }, context);
    expect(cron).toMatchObject({ timezone: 'Europe/London', misfirePolicy: 'skip', contextMode: 'group' });
    expect(new Date(cron.firstRun ?? 0).toISOString()).toBe('2025-06-02T08:00:00.000Z');
    const once = validateTask({ ...base, schedule: { kind: 'once', at: '2025-06-01T18:00' } }, context);
    expect(once.misfirePolicy).toBe('run-once');
    expect(new Date(once.firstRun ?? 0).toISOString()).toBe('2025-06-01T17:00:00.000Z');
    expect(validateTask(base, context).firstRun).toBe(now + 60_000);
  });

  it.each([
    [
      { ...base, schedule: { kind: 'cron', expression: '61 * * * *' } },
      'schedule.expression',
      'not a valid cron',
    ],
    [{ ...base, schedule: { kind: 'cron', expression: '* * * *' } }, 'schedule.expression', 'has 4 fields'],
    [
      { ...base, schedule: { kind: 'cron', expression: '* * * * * * *' } },
      'schedule.expression',
      'has 7 fields',
    ],
    [{ ...base, schedule: { kind: 'cron', expression: '0 0 30 2 *' } }, 'schedule.expression', 'cron'],
    [{ ...base, schedule: { kind: 'cron', expression: '@reboot' } }, 'schedule.expression', 'alias'],
    [{ ...base, timezone: 'Mars/Olympus_Mons' }, 'timezone', 'IANA'],
    [{ ...base, schedule: { kind: 'interval', everyMs: 0 } }, 'schedule.everyMs', 'positive'],
    [{ ...base, schedule: { kind: 'interval', everyMs: -5 } }, 'schedule.everyMs', 'positive'],
    [{ ...base, schedule: { kind: 'interval', everyMs: 10 } }, 'schedule.everyMs', 'at least 1000'],
    [
      { ...base, schedule: { kind: 'interval', everyMs: MAX_INTERVAL_MS + 1 } },
      'schedule.everyMs',
      'ten years',
    ],
    [{ ...base, schedule: { kind: 'interval', everyMs: 1.5 } }, 'schedule.everyMs', ''],
    [
      { ...base, schedule: { kind: 'once', at: '+10000-01-01T00:00:00Z' } },
      'schedule.at',
      'beyond year 9999',
    ],
    [{ ...base, schedule: { kind: 'once', at: 'next tuesday' } }, 'schedule.at', 'ISO 8601'],
    [{ ...base, schedule: { kind: 'weekly' } }, 'schedule.kind', ''],
    [{ ...base, prompt: 'x'.repeat(100_001) }, 'prompt', ''],
    [{ ...base, prompt: '' }, 'prompt', ''],
    [{ ...base, groupId: '' }, 'groupId', ''],
    [{ ...base, misfirePolicy: 'catch-up' }, 'misfirePolicy', ''],
    [{ ...base, colour: 'blue' }, 'colour', 'Unrecognized key'],
  ])('refuses bad input %#, naming %s', (input, field, reason) => {
    const error = refusal(input);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(reason);
  });

  it('refuses a past once-time only in strict mode', () => {
    const past = { ...base, schedule: { kind: 'once' as const, at: '2025-06-01T11:00:00Z' } };
    expect(validateTask(past, context).firstRun).toBe(Date.parse('2025-06-01T11:00:00Z'));
    const error = refusal(past, strict);
    expect(error.field).toBe('schedule.at');
    expect(error.message).toBe(
      'schedule.at: "2025-06-01T11:00:00Z" (2025-06-01 12:00:00 Europe/London) is in the past: it is now 2025-06-01 13:00:00 Europe/London (2025-06-01T12:00:00.000Z)',
    );
  });

  it('accepts 6-field cron, aliases, and a 10-year interval', () => {
    expect(
      validateTask({ ...base, schedule: { kind: 'cron', expression: '*/15 * * * * *' } }, context).firstRun,
    ).toBe(now + 15_000);
    expect(
      validateTask({ ...base, schedule: { kind: 'cron', expression: '@daily' } }, context).firstRun,
    ).not.toBeNull();
    expect(
      validateTask({ ...base, schedule: { kind: 'interval', everyMs: MAX_INTERVAL_MS } }, context).firstRun,
    ).toBe(now + MAX_INTERVAL_MS);
  });
});
