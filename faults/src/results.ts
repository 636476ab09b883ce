import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The figures of a fault case, for bench/RESULTS.md: `faults/results/<name>.json` (git-ignored). */
export function writeSummary(name: string, summary: unknown): void {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
}
