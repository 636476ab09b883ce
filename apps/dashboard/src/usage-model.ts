/** Sums `GET /api/v1/usage` rows (one per UTC day, group and provider) for the chart and the tables. */
import type { UsageRow } from './types.js';

export interface UsageTotals {
  key: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface DailySeries {
  /** UTC days, `YYYY-MM-DD`, oldest first, every day of the range (days without usage are 0). */
  days: string[];
  /** Seconds since the epoch at each day's UTC midnight (uPlot's x values). */
  xs: number[];
  input: number[];
  output: number[];
}

const DAY_MS = 86_400_000;

/** The `count` UTC days ending with the day of `nowMs`, oldest first. */
export function dayRange(nowMs: number, count: number): string[] {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(new Date(today - i * DAY_MS).toISOString().slice(0, 10));
  return days;
}

/** Input and output tokens per day over the range (rows outside it still extend it: the host's days win). */
export function dailySeries(rows: readonly UsageRow[], nowMs: number, count: number): DailySeries {
  const set = new Set([...dayRange(nowMs, count), ...rows.map((r) => r.day)]);
  const days = [...set].sort();
  const index = new Map(days.map((d, i) => [d, i]));
  const input = days.map(() => 0);
  const output = days.map(() => 0);
  for (const row of rows) {
    const i = index.get(row.day)!;
    input[i]! += row.inputTokens;
    output[i]! += row.outputTokens;
  }
  return { days, xs: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), input, output };
}

/** Totals per provider or per group, the largest (input + output) first. */
export function totalsBy(rows: readonly UsageRow[], by: 'provider' | 'folder'): UsageTotals[] {
  const totals = new Map<string, UsageTotals>();
  for (const row of rows) {
    const key = row[by];
    const t = totals.get(key) ?? { key, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    t.inputTokens += row.inputTokens;
    t.cachedInputTokens += row.cachedInputTokens;
    t.outputTokens += row.outputTokens;
    totals.set(key, t);
  }
  return [...totals.values()].sort(
    (a, b) => b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) || a.key.localeCompare(b.key),
  );
}

export function grandTotal(rows: readonly UsageRow[]): UsageTotals {
  return (
    totalsBy(
      rows.map((r) => ({ ...r, provider: 'all' })),
      'provider',
    )[0] ?? { key: 'all', inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }
  );
}
