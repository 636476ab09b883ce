/**
 * What the allowlist-backed checks (check-long-functions.ts, check-floating-promises.ts) share as CLIs: the
 * workspace root, their allowlist, the `--report` flag, and the closing lines and exit code.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Allowlist, readAllowlist } from './allowlist.js';

export interface CheckCli {
  rootDir: string;
  /** The allowlist's path, relative to the root (for messages). */
  allowPath: string;
  allow: Allowlist;
  /** `--report`: print everything, never fail. */
  reportOnly: boolean;
}

/** `allowFile` is a file name in scripts/. */
export function checkCli(allowFile: string, argv: readonly string[] = process.argv.slice(2)): CheckCli {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rootDir = path.resolve(here, '..');
  const file = path.join(here, allowFile);
  return {
    rootDir,
    allowPath: path.relative(rootDir, file),
    allow: readAllowlist(file),
    reportOnly: argv.includes('--report'),
  };
}

/** Prints the problems and the summary; exits 1 when there are problems, unless `--report`. */
export function finish(cli: CheckCli, problems: readonly string[], summary: string): void {
  if (problems.length === 0) {
    console.log(summary);
    return;
  }
  console.error(`\n${problems.join('\n')}\n${summary}${cli.reportOnly ? ' (--report: not failing)' : ''}`);
  if (!cli.reportOnly) process.exit(1);
}
