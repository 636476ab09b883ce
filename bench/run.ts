/**
 * `pnpm bench`: runs every `bench/*.bench.ts` in its own process, one after another (they measure timing, so
 * never in parallel). Each prints its own table and writes `bench/results/<name>.json`.
 * `pnpm bench queue` runs only the files whose name contains "queue".
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`no bench files match ${filter ?? '*'} in ${here}`);
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
