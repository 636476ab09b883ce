/** The task form's pure part: what the inputs mean as an `AddTaskInput`, and where a 400's field belongs. */
import { parseInterval } from './format.js';
import type { AddTaskInput, Schedule } from './types.js';

export type ScheduleKind = Schedule['kind'];

export interface TaskDraft {
  folder: string;
  prompt: string;
  kind: ScheduleKind;
  /** cron: the expression; interval: `15m`, `2h`...; once: a `datetime-local` value. */
  value: string;
  timezone: string;
}

export type DraftResult =
  | { ok: true; input: AddTaskInput }
  | { ok: false; field: TaskField; message: string };

export type TaskField = 'folder' | 'prompt' | 'schedule' | 'timezone';

/** An error to show in the form: next to its field's input, or on its own when `field` is null. */
export interface FieldError {
  field: TaskField | null;
  message: string;
}

export function scheduleOf(kind: ScheduleKind, value: string): Schedule | { error: string } {
  const text = value.trim();
  if (text === '') return { error: 'is required' };
  switch (kind) {
    case 'cron':
      return { kind, expression: text };
    case 'interval': {
      const everyMs = parseInterval(text);
      return everyMs === null
        ? { error: 'must be a duration such as 90s, 15m, 2h or 1d' }
        : { kind, everyMs };
    }
    case 'once':
      return { kind, at: text };
  }
}

/** The request the form stands for, or the first thing missing in it (checked before any request). */
export function draftToInput(draft: TaskDraft): DraftResult {
  if (draft.folder === '') return { ok: false, field: 'folder', message: 'choose a group' };
  if (draft.prompt.trim() === '') return { ok: false, field: 'prompt', message: 'is required' };
  const schedule = scheduleOf(draft.kind, draft.value);
  if ('error' in schedule) return { ok: false, field: 'schedule', message: schedule.error };
  return {
    ok: true,
    input: {
      folder: draft.folder,
      prompt: draft.prompt,
      schedule,
      ...(draft.timezone ? { timezone: draft.timezone } : {}),
    },
  };
}

/** The form field a host validation error names: `schedule.expression` → schedule, `group`/`folder` → folder. */
export function taskFieldOf(field: string | undefined): TaskField | null {
  if (!field) return null;
  const top = field.split('.')[0];
  if (top === 'schedule' || top === 'prompt' || top === 'timezone') return top;
  if (top === 'folder' || top === 'group') return 'folder';
  return null;
}

export const VALUE_LABEL: Record<ScheduleKind, string> = {
  cron: 'Cron expression',
  interval: 'Every',
  once: 'At (date and time)',
};

export const VALUE_HINT: Record<ScheduleKind, string> = {
  cron: '5 fields, minute first (for example 0 9 * * 1-5), read in the time zone below',
  interval: 'a duration such as 90s, 15m, 2h or 1d (a bare number is minutes)',
  once: 'read in the time zone below',
};
