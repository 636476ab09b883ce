import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SandboxImageError } from './errors.js';
import type { NodeRuntime } from './recipe.js';

/**
 * The node a userland carries: this process's own binary (what the runner is built and tested with) and the npm
 * that ships beside it (`<prefix>/lib/node_modules/npm`), when there is one.
 */
export function hostNodeRuntime(
  nodePath: string = process.execPath,
  version: string = process.version,
): NodeRuntime {
  const real = realpathSync(nodePath);
  if (/\s/.test(real)) {
    throw new SandboxImageError(
      'build-failed',
      `the node binary's path has white space in it (${real}); mmdebstrap cannot copy it`,
    );
  }
  const npmDir = path.resolve(path.dirname(real), '..', 'lib', 'node_modules', 'npm');
  const npmManifest = path.join(npmDir, 'package.json');
  if (!existsSync(npmManifest) || /\s/.test(npmDir)) return { path: real, version };
  const npmVersion = (JSON.parse(readFileSync(npmManifest, 'utf8')) as { version?: unknown }).version;
  return typeof npmVersion === 'string'
    ? { path: real, version, npm: { dir: npmDir, version: npmVersion } }
    : { path: real, version };
}
