import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { SandboxImageError } from './errors.js';
import type { NodeRuntime } from './recipe.js';

/** A self-contained node is tens of MB; a binary this small links its engine from a shared library. */
const THIN_BINARY_BYTES = 4 * 1024 * 1024;

/**
 * The node a userland carries: this process's own binary (what the runner is built and tested with) and the npm
 * that ships beside it (`<prefix>/lib/node_modules/npm`), when there is one. Debian's own `nodejs` package is
 * refused with what to do instead: its node is a thin binary over libnode, which the userland does not carry.
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
  refuseSharedLibNode(real);
  const npmDir = path.resolve(path.dirname(real), '..', 'lib', 'node_modules', 'npm');
  const npmManifest = path.join(npmDir, 'package.json');
  if (!existsSync(npmManifest) || /\s/.test(npmDir)) return { path: real, version };
  const npmVersion = (JSON.parse(readFileSync(npmManifest, 'utf8')) as { version?: unknown }).version;
  return typeof npmVersion === 'string'
    ? { path: real, version, npm: { dir: npmDir, version: npmVersion } }
    : { path: real, version };
}

/**
 * Debian's `nodejs` package installs /usr/bin/node as a small binary that loads the engine from
 * /usr/lib/<triplet>/libnode.so.<abi> (plus Debian's libuv, c-ares, ICU, ...), with npm in /usr/share/nodejs:
 * copying the binary alone gives a node that cannot start in the sandbox.
 */
function refuseSharedLibNode(binary: string): void {
  if (statSync(binary).size > THIN_BINARY_BYTES) return;
  const library = readFileSync(binary)
    .toString('latin1')
    .match(/libnode\.so(?:\.\d+)*/)?.[0];
  if (!library) return;
  throw new SandboxImageError(
    'build-failed',
    `this machine's node (${binary}) is Debian's nodejs package: a small binary that loads ${library} from /usr/lib/<triplet>/ (with its npm in /usr/share/nodejs), which the agent userland does not carry`,
    {
      hint: 'run the host with an official Node.js build, one self-contained binary (nodejs.org or NodeSource), e.g. in /usr/local/bin',
    },
  );
}
