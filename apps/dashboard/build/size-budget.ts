/**
 * The dashboard's JavaScript budget: every JS file the build writes, gzipped (level 9, as a server or proxy
 * would send it), must add up to at most `limitBytes`. `sizeBudget()` is a Vite plugin that prints the figure
 * after each build and fails the build above the limit, so `pnpm build` (and CI) enforces it.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const JS_BUDGET_BYTES = 250 * 1024;

export interface SizedFile {
  fileName: string;
  bytes: number;
  gzipBytes: number;
}

export interface SizeReport {
  files: SizedFile[];
  totalGzipBytes: number;
  limitBytes: number;
  withinBudget: boolean;
}

/** Measures the `.js` files among `files` (name → contents); other assets do not count. */
export function measureJs(
  files: ReadonlyArray<{ fileName: string; code: string | Uint8Array }>,
  limitBytes = JS_BUDGET_BYTES,
): SizeReport {
  const sized = files
    .filter((f) => f.fileName.endsWith('.js'))
    .map((f) => {
      const data = typeof f.code === 'string' ? Buffer.from(f.code) : Buffer.from(f.code);
      return { fileName: f.fileName, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
    });
  const totalGzipBytes = sized.reduce((sum, f) => sum + f.gzipBytes, 0);
  return { files: sized, totalGzipBytes, limitBytes, withinBudget: totalGzipBytes <= limitBytes };
}

/** `12.3 KB` (1 KB = 1,024 bytes). */
export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export function sizeBudget(limitBytes = JS_BUDGET_BYTES): Plugin {
  return {
    name: 'nanoclaw-size-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.values(bundle).map((item) =>
        item.type === 'chunk'
          ? { fileName: item.fileName, code: item.code }
          : { fileName: item.fileName, code: item.source },
      );
      const report = measureJs(files, limitBytes);
      const line = `JS gzipped: ${formatKb(report.totalGzipBytes)} of ${formatKb(limitBytes)} (${report.files.length} file(s))`;
      if (!report.withinBudget) this.error(`over the JS budget: ${line}`);
      this.info(line);
    },
  };
}
