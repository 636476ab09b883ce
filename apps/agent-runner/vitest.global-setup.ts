import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Builds the runner bundle the end-to-end tests spawn. */
export default function setup(): void {
  const cwd = fileURLToPath(new URL('.', import.meta.url));
  const tsup = fileURLToPath(new URL('./node_modules/tsup/dist/cli-default.js', import.meta.url));
  const build = spawnSync(process.execPath, [tsup], { cwd, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(
      `building the runner failed (tsup exit ${build.status}):\n${build.stdout}\n${build.stderr}`,
    );
  }
}
