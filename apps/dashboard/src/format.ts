/** Formatting and parsing helpers the pages share; pure, so they are unit-tested. */
import type { Schedule } from './types.js';

/** `2026-12-07 18:05` in `timeZone` (the browser's when absent); `—` for null. */
export function formatTime(ms: number | null | undefined, timeZone?: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** 950 → `950 ms`, 12_300 → `12.3 s`, 125_000 → `2 min 5 s`, 7_500_000 → `2 h 5 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const s = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)} min${s ? ` ${s} s` : ''}`;
  }
  const totalMinutes = Math.round(ms / 60_000);
  const m = totalMinutes % 60;
  return `${Math.floor(totalMinutes / 60)} h${m ? ` ${m} min` : ''}`;
}

/** 1234567 → `1,234,567`. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * An interval as a person types it: `90s`, `15m`, `15 min`, `2h`, `1d`, `1h30m`, or a bare number of
 * minutes. Returns milliseconds, or null when it is not one.
 */
export function parseInterval(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 60_000);
  const part = /(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)/y;
  let total = 0;
  let index = 0;
  while (index < value.length) {
    while (value[index] === ' ') index++;
    if (index >= value.length) break;
    part.lastIndex = index;
    const match = part.exec(value);
    if (!match) return null;
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
    index = part.lastIndex;
  }
  return total > 0 ? Math.round(total) : null;
}

/** `cron 0 9 * * 1-5`, `every 15 min`, `once at 2026-12-24T09:00`. */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'cron':
      return `cron ${schedule.expression}`;
    case 'interval':
      return `every ${formatDuration(schedule.everyMs)}`;
    case 'once':
      return `once at ${schedule.at}`;
  }
}

/** Cuts `text` to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The browser's IANA time zone, `UTC` when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The time zones to offer, with `current` (and UTC) always among them. */
export function timeZoneOptions(current: string): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  const all = new Set([...zones, 'UTC', current]);
  return [...all].sort((a, b) => a.localeCompare(b));
}
