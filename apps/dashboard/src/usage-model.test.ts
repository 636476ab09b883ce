import { describe, expect, it } from 'vitest';
import type { UsageRow } from './types.js';
import { dailySeries, dayRange, grandTotal, totalsBy } from './usage-model.js';

const row = (
  day: string,
  folder: string,
  provider: string,
  input: number,
  output: number,
  cached = 0,
): UsageRow => ({
  day,
  folder,
  provider,
  inputTokens: input,
  cachedInputTokens: cached,
  outputTokens: output,
});

const now = Date.UTC(2026, 11, 7, 18, 0);

describe('usage sums', () => {
  it('lists the UTC days of the range, oldest first', () => {
    expect(dayRange(now, 3)).toEqual(['2026-12-05', '2026-12-06', '2026-12-07']);
    expect(dayRange(Date.UTC(2026, 2, 1, 0, 30), 2)).toEqual(['2026-02-28', '2026-03-01']);
  });

  it('sums input and output per day, with 0 for days without usage', () => {
    const series = dailySeries(
      [
        row('2026-12-05', 'main', 'mock', 10, 20),
        row('2026-12-05', 'fam', 'codex', 1, 2),
        row('2026-12-07', 'main', 'mock', 5, 6),
      ],
      now,
      3,
    );
    expect(series.days).toEqual(['2026-12-05', '2026-12-06', '2026-12-07']);
    expect(series.input).toEqual([11, 0, 5]);
    expect(series.output).toEqual([22, 0, 6]);
    expect(series.xs[0]).toBe(Date.UTC(2026, 11, 5) / 1000);
  });

  it('totals per provider and per group, largest first', () => {
    const rows = [
      row('2026-12-05', 'main', 'mock', 10, 20, 3),
      row('2026-12-06', 'fam', 'codex', 100, 1),
      row('2026-12-06', 'main', 'codex', 1, 1),
    ];
    expect(totalsBy(rows, 'provider')).toEqual([
      { key: 'codex', inputTokens: 101, cachedInputTokens: 0, outputTokens: 2 },
      { key: 'mock', inputTokens: 10, cachedInputTokens: 3, outputTokens: 20 },
    ]);
    expect(totalsBy(rows, 'folder').map((t) => t.key)).toEqual(['fam', 'main']);
    expect(grandTotal(rows)).toEqual({
      key: 'all',
      inputTokens: 111,
      cachedInputTokens: 3,
      outputTokens: 22,
    });
    expect(grandTotal([])).toEqual({ key: 'all', inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 });
  });
});
