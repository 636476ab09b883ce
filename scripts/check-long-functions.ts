/**
 * `pnpm check:functions [--report]`: lists every function longer than 120 lines in the shipped sources of
 * packages/* and apps/* (tests, fixtures, test helpers and fakes excluded: see shipped-sources.ts), one line
 * each, `file:line name N lines`. Fails when one is not in scripts/long-functions.allow.json
 * (`{ "path#name": "reason" }`), when the allowlist names more than 6, or names one that is no longer long.
 * `--report` prints the same and always exits 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAllowlist } from './allowlist.js';
import {
  allowKey,
  checkLongFunctions,
  findLongFunctions,
  formatLongFunction,
  MAX_ALLOWED,
  MAX_FUNCTION_LINES,
} from './long-functions.js';
import { listShippedSources } from './shipped-sources.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(here, '..');
const allowFile = path.join(here, 'long-functions.allow.json');
const reportOnly = process.argv.includes('--report');

const sources = listShippedSources(rootDir);
const found = sources.flatMap((s) => findLongFunctions(fs.readFileSync(s.file, 'utf8'), s.rel));
const allow = readAllowlist(allowFile);
for (const fn of found) console.log(`${formatLongFunction(fn)}${allowKey(fn) in allow ? ' (allowed)' : ''}`);

const { unlisted, problems } = checkLongFunctions(found, allow);
if (unlisted.length > 0) {
  problems.push(
    `${unlisted.length} function(s) over ${MAX_FUNCTION_LINES} lines not in ${path.relative(rootDir, allowFile)}: split them into named steps, or state a reason there ("path#name": "reason")`,
  );
}
const summary = `check:functions: ${found.length} function(s) over ${MAX_FUNCTION_LINES} lines in ${sources.length} file(s); ${Object.keys(allow).length} allowed (at most ${MAX_ALLOWED})`;
if (problems.length === 0) {
  console.log(summary);
} else {
  console.error(`\n${problems.join('\n')}\n${summary}${reportOnly ? ' (--report: not failing)' : ''}`);
  if (!reportOnly) process.exit(1);
}
