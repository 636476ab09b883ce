/** The figures every bench computes from its samples: median, nearest-rank percentiles, rounding, a ms cell. */

/** Median, min and max of a set of samples (ms, rounded to 0.1). */
export interface Stat {
  median: number;
  min: number;
  max: number;
}

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The middle value (the mean of the two middle ones for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Nearest rank, on values already sorted ascending; 0 for none. */
export function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return 0;
  return (
    sortedValues[Math.min(sortedValues.length - 1, Math.max(0, Math.ceil(p * sortedValues.length) - 1))] ?? 0
  );
}

export function stat(values: readonly number[]): Stat {
  const s = sorted(values);
  return { median: round(median(s)), min: round(s[0] ?? 0), max: round(s.at(-1) ?? 0) };
}

/** Rounded to 0.1: what the JSON reports keep. */
export function round(value: number): number {
  return roundTo(value, 1);
}

export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/** A table cell: whole ms from 100 up, else one decimal. */
export function fmt(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

/** `median (min–max)` of a stat, or empty. */
export function range(s: Stat | undefined): string {
  return s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '';
}
