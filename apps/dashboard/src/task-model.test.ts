import { describe, expect, it } from 'vitest';
import { draftToInput, scheduleOf, taskFieldOf } from './task-model.js';

const draft = {
  folder: 'main',
  prompt: 'sum up',
  kind: 'cron' as const,
  value: '0 9 * * 1-5',
  timezone: 'Europe/Paris',
};

describe('the task form model', () => {
  it('turns the inputs into an AddTaskInput', () => {
    expect(draftToInput(draft)).toEqual({
      ok: true,
      input: {
        folder: 'main',
        prompt: 'sum up',
        schedule: { kind: 'cron', expression: '0 9 * * 1-5' },
        timezone: 'Europe/Paris',
      },
    });
    expect(scheduleOf('interval', '15m')).toEqual({ kind: 'interval', everyMs: 900_000 });
    expect(scheduleOf('once', '2026-12-24T09:00')).toEqual({ kind: 'once', at: '2026-12-24T09:00' });
  });

  it('names the first missing or wrong input', () => {
    expect(draftToInput({ ...draft, folder: '' })).toMatchObject({ ok: false, field: 'folder' });
    expect(draftToInput({ ...draft, prompt: '  ' })).toMatchObject({ ok: false, field: 'prompt' });
    expect(draftToInput({ ...draft, value: '' })).toMatchObject({
      ok: false,
      field: 'schedule',
      message: 'is required',
    });
    expect(draftToInput({ ...draft, kind: 'interval', value: 'often' })).toMatchObject({
      ok: false,
      field: 'schedule',
    });
  });

  it('maps a host error field to the input it concerns', () => {
    expect(taskFieldOf('schedule.expression')).toBe('schedule');
    expect(taskFieldOf('schedule.value')).toBe('schedule');
    expect(taskFieldOf('timezone')).toBe('timezone');
    expect(taskFieldOf('folder')).toBe('folder');
    expect(taskFieldOf('contextMode')).toBeNull();
    expect(taskFieldOf(undefined)).toBeNull();
  });
});
