import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@nanoclaw/core';
import { OpencodeProviderError } from './errors.js';
import { OPENCODE_VERSION } from './version.js';

/** The published `bin/opencode.exe` is a small shell stub until opencode-ai's postinstall replaced it. */
const STUB_MAX_BYTES = 64 * 1024;

/**
 * The opencode binary: `OPENCODE_BIN` when set, else the native binary `opencode-ai`'s postinstall linked into
 * `opencode-ai/bin/opencode.exe`, else the platform package's binary (`opencode-<os>-<arch>[-baseline][-musl]`,
 * for installs that skipped scripts). Spawning the native binary directly skips the Node shim.
 */
export function resolveOpencodeBinary(
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): string {
  const fromEnv = options.env?.OPENCODE_BIN?.trim();
  if (fromEnv) return fromEnv;
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = path.dirname(require.resolve('opencode-ai/package.json'));
  } catch (error) {
    throw new OpencodeProviderError('binary-missing', 'the opencode-ai package is not installed', {
      cause: error,
    });
  }
  const linked = path.join(packageDir, 'bin', 'opencode.exe');
  if (isNativeBinary(linked)) return linked;
  const fromPackage = createRequire(path.join(packageDir, 'package.json'));
  for (const name of platformPackages()) {
    try {
      const dir = path.dirname(fromPackage.resolve(`${name}/package.json`));
      const candidate = path.join(dir, 'bin', process.platform === 'win32' ? 'opencode.exe' : 'opencode');
      if (isNativeBinary(candidate)) return candidate;
    } catch {
      // not installed for this platform
    }
  }
  throw new OpencodeProviderError(
    'binary-missing',
    `no native opencode binary: ${linked} is the install stub (run \`node ${path.join(packageDir, 'postinstall.mjs')}\`) and no platform package is installed; or set OPENCODE_BIN`,
  );
}

/** Platform package names to try, best first. */
export function platformPackages(platform: string = process.platform, arch: string = os.arch()): string[] {
  const osName = platform === 'win32' ? 'windows' : platform;
  const base = `opencode-${osName}-${arch}`;
  const musl = platform === 'linux' && isMusl();
  const names = musl ? [`${base}-musl`, `${base}-baseline-musl`] : [base, `${base}-baseline`];
  return [...names, ...(musl ? [base] : [])];
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header !== undefined && report.header.glibcVersionRuntime === undefined;
}

function isNativeBinary(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && stat.size > STUB_MAX_BYTES;
  } catch {
    return false;
  }
}

/** `opencode --version` (e.g. `1.18.33`), or undefined when it cannot run. */
export function readOpencodeVersion(binary: string): string | undefined {
  const result = spawnSync(binary, ['--version'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: process.env.PATH ?? '' },
  });
  if (result.status !== 0) return undefined;
  return result.stdout.trim().split(/\s+/).pop();
}

/** Logs a warning when the binary is not the version this provider was tested with. */
export function checkOpencodeVersion(binary: string, logger: Logger): void {
  const version = readOpencodeVersion(binary);
  if (version !== undefined && version !== OPENCODE_VERSION) {
    logger.warn(
      { binary, version, expected: OPENCODE_VERSION },
      'opencode version differs from the tested one',
    );
  }
}
