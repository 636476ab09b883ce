/**
 * `pnpm check:shape [dir ...]`: checks every package in packages/* and apps/* against the workspace rules
 * (see scripts/package-shape.ts). Prints one line per violation, `<package dir>: [rule] message`, and exits 1
 * when there is any. Optional arguments narrow the check: `pnpm check:shape packages/db core`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkWorkspace, formatViolation, listWorkspacePackages } from './package-shape.js';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const all = listWorkspacePackages(rootDir);

const args = process.argv.slice(2);
const only = args.length === 0 ? undefined : args.map((a) => resolveDir(a));

const violations = checkWorkspace(rootDir, only);
for (const v of violations) console.log(formatViolation(v));

const checked = only ?? all.map((p) => p.dir);
if (violations.length > 0) {
  const dirs = new Set(violations.map((v) => v.dir));
  console.error(
    `\ncheck:shape: ${violations.length} violation(s) in ${dirs.size} of ${checked.length} package(s)`,
  );
  process.exit(1);
}
console.log(`check:shape: ${checked.length} package(s) OK (${checked.join(', ')})`);

/** `packages/db`, `db` or `@nanoclaw/db` → `packages/db`. */
function resolveDir(arg: string): string {
  const name = arg.replace(/^@nanoclaw\//, '').replace(/\/$/, '');
  const match = all.find((p) => p.dir === name || path.basename(p.dir) === name);
  if (!match) {
    console.error(`check:shape: no package "${arg}" (have: ${all.map((p) => p.dir).join(', ')})`);
    process.exit(2);
  }
  return match.dir;
}
