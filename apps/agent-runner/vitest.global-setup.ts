import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The end-to-end tests spawn the bundled runner. Turbo builds it before `test`; a plain `vitest` run builds it
 * here only when it is missing — never rebuilding (tsup cleans dist/) under other packages' tests that use it.
 */
export default function setup(): void {
  const cwd = fileURLToPath(new URL('.', import.meta.url));
  if (existsSync(fileURLToPath(new URL('./dist/main.js', import.meta.url)))) return;
  const tsup = fileURLToPath(new URL('./node_modules/tsup/dist/cli-default.js', import.meta.url));
  const build = spawnSync(process.execPath, [tsup], { cwd, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(
      `building the runner failed (tsup exit ${build.status}):\n${build.stdout}\n${build.stderr}`,
    );
  }
}
