// @ts-check
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * How to run pnpm from a repository script: under `pnpm run`, that very pnpm (`npm_execpath`); otherwise `pnpm`
 * from the PATH, else `npx -y pnpm@<packageManager>` (the version in the root package.json).
 * @param {string} rootDir
 * @returns {string[]}
 */
export function pnpmCommand(rootDir) {
  // `pnpm run` sets npm_execpath to itself.
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm\.(c?js|mjs)$/.test(execPath)) return [process.execPath, execPath];
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return ['pnpm'];
  const root = /** @type {{ packageManager?: string }} */ (
    JSON.parse(fs.readFileSync(path.join(rootDir, 'package.json'), 'utf8'))
  );
  const version = root.packageManager?.startsWith('pnpm@')
    ? root.packageManager.slice(5).split('+')[0]
    : '10';
  return ['npx', '-y', `pnpm@${version}`];
}
