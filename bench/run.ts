/**
 * `pnpm bench`: runs every `bench/*.bench.ts` in its own process, one after another (they measure timing, so
 * never in parallel). Each prints its own table and writes `bench/results/<name>.json`.
 * `pnpm bench queue` runs only the files whose name contains "queue"; several names run each match
 * (`pnpm bench queue scheduler`). `host-rss` soaks for 10 minutes (HOST_BENCH_SOAK_MINUTES shortens it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = fs
  .readdirSync(here)
  .filter(
    (f) => f.endsWith('.bench.ts') && (filters.length === 0 || filters.some((name) => f.includes(name))),
  )
  .sort();

if (files.length === 0) {
  console.error(`no bench files match ${filters.join(', ') || '*'} in ${here}`);
  process.exit(1);
}
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
