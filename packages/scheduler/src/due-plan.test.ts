import type { MisfirePolicy, Schedule, ScheduledTask } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { planDue } from './due-plan.js';

const HOUR = 3_600_000;
const base = Date.parse('2025-01-01T00:00:00Z');

function task(schedule: Schedule, nextRun: number, misfirePolicy: MisfirePolicy): ScheduledTask {
  return {
    id: 't1',
    groupId: 'g1',
    prompt: 'p',
    schedule,
    timezone: 'UTC',
    misfirePolicy,
    contextMode: 'group',
    status: 'active',
    nextRun,
    lastRun: null,
    createdByGroupId: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const hourly: Schedule = { kind: 'cron', expression: '0 * * * *' };
const grace = { graceMs: 60_000, busy: false };

describe('planDue', () => {
  it('fires an on-time due time, not late', () => {
    const plan = planDue(task(hourly, base, 'skip'), base + 5, grace);
    expect(plan).toEqual({ fire: { scheduledFor: base, late: false }, skip: null, nextRun: base + HOUR });
  });

  it('skip policy after downtime: runs nothing, one skip record, next future time', () => {
    const plan = planDue(task(hourly, base, 'skip'), base + 3 * HOUR + 10 * 60_000, grace);
    expect(plan.fire).toBeNull();
    expect(plan.skip).toEqual({
      reason: 'missed',
      count: 4,
      capped: false,
      first: base,
      last: base + 3 * HOUR,
    });
    expect(plan.nextRun).toBe(base + 4 * HOUR);
  });

  it('run-once policy after downtime: fires once, late, for the latest due time; the rest are skipped', () => {
    const plan = planDue(task(hourly, base, 'run-once'), base + 3 * HOUR + 10 * 60_000, grace);
    expect(plan.fire).toEqual({ scheduledFor: base + 3 * HOUR, late: true });
    expect(plan.skip).toEqual({
      reason: 'missed',
      count: 3,
      capped: false,
      first: base,
      last: base + 2 * HOUR,
    });
    expect(plan.nextRun).toBe(base + 4 * HOUR);
  });

  it('a due time within the grace period still runs on time even after several were missed', () => {
    const plan = planDue(task(hourly, base, 'skip'), base + 2 * HOUR + 30_000, grace);
    expect(plan.fire).toEqual({ scheduledFor: base + 2 * HOUR, late: false });
    expect(plan.skip?.count).toBe(2);
  });

  it('a missed once-task runs once, late, and completes (default policy run-once)', () => {
    const once: Schedule = { kind: 'once', at: '2025-01-01T00:00:00Z' };
    expect(planDue(task(once, base, 'run-once'), base + HOUR, grace)).toEqual({
      fire: { scheduledFor: base, late: true },
      skip: null,
      nextRun: null,
    });
    expect(planDue(task(once, base, 'skip'), base + HOUR, grace)).toMatchObject({
      fire: null,
      nextRun: null,
    });
  });

  it('a busy task skips every due time as overlap and advances', () => {
    const plan = planDue(task({ kind: 'interval', everyMs: 1000 }, base, 'run-once'), base + 1, {
      graceMs: 60_000,
      busy: true,
    });
    expect(plan).toEqual({
      fire: null,
      skip: { reason: 'overlap', count: 1, capped: false, first: base, last: base },
      nextRun: base + 1000,
    });
  });
});
