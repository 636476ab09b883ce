const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

function wallClockParts(epochMs: number, timezone: string): Record<string, string> {
  return Object.fromEntries(
    formatterFor(timezone)
      .formatToParts(new Date(epochMs))
      .map((part) => [part.type, part.value]),
  );
}

const wallClock = (parts: Record<string, string>) =>
  `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;

/** `2026-11-24 09:00`: wall-clock time in `timezone`. */
export function formatWallClock(epochMs: number, timezone: string): string {
  return wallClock(wallClockParts(epochMs, timezone));
}

/** `2026-11-24 09:00 +00:00`: wall-clock time in `timezone`, with that zone's offset at that instant. */
export function formatTimestamp(epochMs: number, timezone: string): string {
  const parts = wallClockParts(epochMs, timezone);
  const offset =
    parts.timeZoneName === 'GMT' ? '+00:00' : (parts.timeZoneName ?? 'GMT+00:00').replace('GMT', '');
  return `${wallClock(parts)} ${offset}`;
}
