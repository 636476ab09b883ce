import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from '@nanoclaw/core';
import { CodexProviderError } from './errors.js';
import { CODEX_VERSION } from './version.js';

/** `@openai/codex` ships one optional package per target; this is the map its own launcher uses. */
const TARGETS: Readonly<Record<string, { triple: string; pkg: string }>> = {
  'linux-x64': { triple: 'x86_64-unknown-linux-musl', pkg: '@openai/codex-linux-x64' },
  'linux-arm64': { triple: 'aarch64-unknown-linux-musl', pkg: '@openai/codex-linux-arm64' },
  'android-x64': { triple: 'x86_64-unknown-linux-musl', pkg: '@openai/codex-linux-x64' },
  'android-arm64': { triple: 'aarch64-unknown-linux-musl', pkg: '@openai/codex-linux-arm64' },
  'darwin-x64': { triple: 'x86_64-apple-darwin', pkg: '@openai/codex-darwin-x64' },
  'darwin-arm64': { triple: 'aarch64-apple-darwin', pkg: '@openai/codex-darwin-arm64' },
  'win32-x64': { triple: 'x86_64-pc-windows-msvc', pkg: '@openai/codex-win32-x64' },
  'win32-arm64': { triple: 'aarch64-pc-windows-msvc', pkg: '@openai/codex-win32-arm64' },
};

export interface ResolveCodexBinaryOptions {
  /** Env to read `CODEX_BIN` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  platform?: NodeJS.Platform;
  arch?: string;
}

/**
 * The native `codex` binary: `CODEX_BIN` when set, else the platform package of the pinned `@openai/codex`
 * (resolved from `@openai/codex`'s own package.json, as its launcher does). Spawning it directly skips the
 * Node launcher (~40 ms per spawn).
 */
export function resolveCodexBinary(options: ResolveCodexBinaryOptions = {}): string {
  const env = options.env ?? process.env;
  const override = env.CODEX_BIN;
  if (override) return override;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const target = TARGETS[`${platform}-${arch}`];
  if (!target) {
    throw new CodexProviderError(
      'binary-missing',
      `Codex has no binary for ${platform}-${arch}; set CODEX_BIN`,
    );
  }
  let codexRequire: NodeJS.Require;
  try {
    const require = createRequire(import.meta.url);
    codexRequire = createRequire(require.resolve('@openai/codex/package.json'));
  } catch (error) {
    throw new CodexProviderError(
      'binary-missing',
      '@openai/codex is not installed; install it or set CODEX_BIN',
      {
        cause: error,
      },
    );
  }
  let vendorRoot: string;
  try {
    vendorRoot = path.join(path.dirname(codexRequire.resolve(`${target.pkg}/package.json`)), 'vendor');
  } catch (error) {
    throw new CodexProviderError(
      'binary-missing',
      `${target.pkg} (the optional platform package of @openai/codex@${CODEX_VERSION}) is not installed; reinstall or set CODEX_BIN`,
      { cause: error },
    );
  }
  const binary = path.join(vendorRoot, target.triple, 'bin', platform === 'win32' ? 'codex.exe' : 'codex');
  if (!existsSync(binary)) {
    throw new CodexProviderError('binary-missing', `the Codex binary is missing: ${binary}; set CODEX_BIN`);
  }
  return binary;
}

/** Runs `codex --version` and returns the version (`codex-cli 0.169.0` → `0.169.0`). */
export function readCodexVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ['--version'],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 15_000 },
      (error, stdout) => {
        if (error) {
          reject(
            new CodexProviderError('binary-missing', `\`${binary} --version\` failed: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        const match = /(\d+\.\d+\.\d+(?:[-+][\w.]+)?)/.exec(stdout);
        if (!match?.[1]) {
          reject(
            new CodexProviderError(
              'binary-missing',
              `\`${binary} --version\` printed no version: ${stdout.trim()}`,
            ),
          );
          return;
        }
        resolve(match[1]);
      },
    );
  });
}

const versionChecks = new Map<string, Promise<string | undefined>>();

/**
 * Checks once per binary and process that it is `CODEX_VERSION`; logs a warning when it is not (or cannot be
 * read). Never throws: a mismatch is the operator's choice (`CODEX_BIN`), the warning says so.
 */
export function checkCodexVersion(binary: string, logger?: Logger): Promise<string | undefined> {
  let check = versionChecks.get(binary);
  if (!check) {
    check = readCodexVersion(binary).then(
      (version) => version,
      () => undefined,
    );
    versionChecks.set(binary, check);
  }
  return check.then((version) => {
    if (version !== CODEX_VERSION) {
      logger?.warn(
        { binary, version: version ?? 'unknown', expected: CODEX_VERSION },
        `codex binary reports ${version ?? 'no version'}, this provider is built and tested against ${CODEX_VERSION}`,
      );
    }
    return version;
  });
}
