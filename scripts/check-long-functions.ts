/**
 * `pnpm check:functions [--report]`: lists every function longer than 120 lines in the shipped sources of
 * packages/* and apps/* (tests, fixtures, test helpers, fakes and generated code excluded: see
 * shipped-sources.ts), one line each, `file:line name N lines`. Fails when one is not in
 * scripts/long-functions.allow.json (`{ "path#name": "reason" }`), when the allowlist names more than 6, or
 * names one that is no longer long. `--report` prints the same and always exits 0.
 */
import fs from 'node:fs';
import { checkCli, finish } from './check-cli.js';
import {
  allowKey,
  checkLongFunctions,
  findLongFunctions,
  formatLongFunction,
  MAX_ALLOWED,
  MAX_FUNCTION_LINES,
} from './long-functions.js';
import { listShippedSources } from './shipped-sources.js';

const cli = checkCli('long-functions.allow.json');
const sources = listShippedSources(cli.rootDir);
const found = sources.flatMap((s) => findLongFunctions(fs.readFileSync(s.file, 'utf8'), s.rel));
for (const fn of found)
  console.log(`${formatLongFunction(fn)}${allowKey(fn) in cli.allow ? ' (allowed)' : ''}`);

const { unlisted, problems } = checkLongFunctions(found, cli.allow);
if (unlisted.length > 0) {
  problems.push(
    `${unlisted.length} function(s) over ${MAX_FUNCTION_LINES} lines not in ${cli.allowPath}: split them into named steps, or state a reason there ("path#name": "reason")`,
  );
}
finish(
  cli,
  problems,
  `check:functions: ${found.length} function(s) over ${MAX_FUNCTION_LINES} lines in ${sources.length} file(s); ${Object.keys(cli.allow).length} allowed (at most ${MAX_ALLOWED})`,
);
