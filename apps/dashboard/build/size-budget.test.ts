import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatKb, JS_BUDGET_BYTES, measureJs } from './size-budget.js';

describe('the JS size budget', () => {
  it('sums the gzipped size of the JS files only', () => {
    const js = 'export const a = 1;'.repeat(100);
    const report = measureJs([
      { fileName: 'assets/index-abc.js', code: js },
      { fileName: 'assets/index-abc.css', code: 'body{}'.repeat(1000) },
      { fileName: 'assets/chunk.js', code: new TextEncoder().encode('let b = 2;') },
    ]);
    expect(report.files.map((f) => f.fileName)).toEqual(['assets/index-abc.js', 'assets/chunk.js']);
    expect(report.totalGzipBytes).toBe(
      gzipSync(js, { level: 9 }).length + gzipSync('let b = 2;', { level: 9 }).length,
    );
    expect(report.limitBytes).toBe(JS_BUDGET_BYTES);
    expect(report.withinBudget).toBe(true);
  });

  it('fails above the limit', () => {
    const random = Array.from({ length: 4000 }, (_, i) => ((i * 2654435761) % 4294967296).toString(36)).join(
      '',
    );
    const report = measureJs([{ fileName: 'a.js', code: random }], 1024);
    expect(report.totalGzipBytes).toBeGreaterThan(1024);
    expect(report.withinBudget).toBe(false);
  });

  it('prints kilobytes', () => {
    expect(formatKb(256_000)).toBe('250.0 KB');
  });
});
