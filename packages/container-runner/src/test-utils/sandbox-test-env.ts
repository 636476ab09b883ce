import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogFn, Logger } from '@nanoclaw/core';
import { runCommand } from '../run-command.js';
import { createBwrapRuntime } from '../runtimes/bwrap.js';
import { createDockerRuntime, type DockerRuntime } from '../runtimes/docker.js';

/**
 * Whether a runtime can be tested here: when it cannot, `required` says whether that is a failure (CI) or a
 * skip (a dev machine). The same shape as `ContractAvailability` in @nanoclaw/testing, declared here so the
 * shipped `./test` entry needs nothing from that devDependency.
 */
export type SandboxAvailability = { ok: true } | { ok: false; reason: string; required: boolean };

/**
 * This package's root, found from this module's own location: it runs from src/test-utils/ (the package's tests)
 * and, bundled, from dist/ (the `./test` entry other packages import).
 */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (name === '@nanoclaw/container-runner') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('@nanoclaw/container-runner: cannot find the package root');
    dir = parent;
  }
}

const PACKAGE_ROOT = findPackageRoot();
/** The monorepo checkout (the package lives at packages/container-runner). */
export const REPO_ROOT = path.resolve(PACKAGE_ROOT, '../..');
export const FIXTURES_SRC = path.join(PACKAGE_ROOT, 'src/__fixtures__');
export const RUNNER_DIST = path.join(REPO_ROOT, 'apps/agent-runner/dist');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Tests use DOCKER_HOST, else the engine started by .ci/sandbox-setup.sh (its socket under .ci/state/). */
export function dockerHostEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  const ciSocket = path.join(REPO_ROOT, '.ci/state/docker.sock');
  if (!env.DOCKER_HOST && existsSync(ciSocket)) env.DOCKER_HOST = `unix://${ciSocket}`;
  return env;
}

export function testDockerRuntime(): DockerRuntime {
  return createDockerRuntime({ hostEnv: dockerHostEnv() });
}

let dockerCheck: Promise<SandboxAvailability> | undefined;
/** Docker must answer in CI (the suite fails otherwise); on a dev machine without it the suite is skipped. */
export function dockerAvailability(): Promise<SandboxAvailability> {
  dockerCheck ??= (async () => {
    const availability = await testDockerRuntime().available();
    if (availability.ok) return { ok: true } as const;
    return {
      ok: false,
      reason: `${availability.reason} (${availability.hint}); in CI, source .ci/sandbox-setup.sh and run sandbox_setup first`,
      required: IN_CI,
    } as const;
  })();
  return dockerCheck;
}

/**
 * For a suite's beforeAll: undefined when the runtime can be tested here, else the reason to skip (printed) —
 * or an error where it is required (CI).
 */
export async function skipReason(
  suite: string,
  availability: () => Promise<SandboxAvailability>,
): Promise<string | undefined> {
  const available = await availability();
  if (available.ok) return undefined;
  if (available.required) throw new Error(`${suite}: required here but unavailable: ${available.reason}`);
  console.warn(`[${suite}] skipped: ${available.reason}`);
  return available.reason;
}

export const BWRAP_CACHE_DIR = path.join(
  os.tmpdir(),
  `nanoclaw-bwrap-test-cache-${process.getuid?.() ?? 'u'}`,
);

let bwrapCheck: Promise<SandboxAvailability> | undefined;
/** bubblewrap is optional (user namespaces may be blocked, e.g. Ubuntu 24.04); NANOCLAW_REQUIRE_BWRAP=1 makes it required. */
export function bwrapAvailability(): Promise<SandboxAvailability> {
  bwrapCheck ??= (async () => {
    if (process.platform !== 'linux')
      return { ok: false, reason: 'bubblewrap is Linux only', required: false } as const;
    await prepareCacheDir();
    const availability = await createBwrapRuntime({ cacheDir: BWRAP_CACHE_DIR }).available();
    if (availability.ok) return { ok: true } as const;
    return {
      ok: false,
      reason: `${availability.reason} (${availability.hint})`,
      required: process.env.NANOCLAW_REQUIRE_BWRAP === '1',
    } as const;
  })();
  return bwrapCheck;
}

async function prepareCacheDir(): Promise<void> {
  await fs.mkdir(BWRAP_CACHE_DIR, { recursive: true, mode: 0o755 });
  await fs.chmod(BWRAP_CACHE_DIR, 0o755);
}

export function testBwrapRuntime() {
  return createBwrapRuntime({ cacheDir: BWRAP_CACHE_DIR });
}

export const TEST_IMAGE = 'nanoclaw-test/node-scratch:contract';

let imageReady: Promise<void> | undefined;
/** Builds the registry-free test image (node + libs, no runner) with docker/build-scratch-image.sh once. */
export function ensureTestImage(): Promise<void> {
  imageReady ??= (async () => {
    const runtime = testDockerRuntime();
    if (await runtime.hasImage(TEST_IMAGE)) return;
    const appDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-empty-app-'));
    await fs.writeFile(path.join(appDir, 'README'), 'no runner in this test image\n');
    await buildScratchImage(TEST_IMAGE, appDir);
    await fs.rm(appDir, { recursive: true, force: true });
  })();
  return imageReady;
}

export async function buildScratchImage(tag: string, appDir: string): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(dockerHostEnv()).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const result = await runCommand(
    path.join(REPO_ROOT, 'docker/build-scratch-image.sh'),
    ['-t', tag, appDir],
    {
      env,
      timeoutMs: 120_000,
    },
  );
  if (result.code !== 0) throw new Error(`build-scratch-image.sh failed (${result.code}): ${result.stderr}`);
}

/** A scratch directory every sandbox uid can traverse (mkdtemp makes 0700 dirs). */
export async function makeScratchDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `nanoclaw-${prefix}-`));
  await fs.chmod(dir, 0o755);
  return dir;
}

/** A directory any sandbox uid may write. */
export async function makeWritableDir(parent: string, name: string): Promise<string> {
  const dir = path.join(parent, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o777);
  return dir;
}

/** Copies the fixture programs into a world-readable directory (the checkout may not be readable by the sandbox uid). */
export async function copyFixtures(parent: string): Promise<string> {
  const dir = path.join(parent, 'fixtures');
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  for (const file of await fs.readdir(FIXTURES_SRC)) {
    await fs.copyFile(path.join(FIXTURES_SRC, file), path.join(dir, file));
    await fs.chmod(path.join(dir, file), 0o644);
  }
  return dir;
}

export interface LogEntry {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that records every entry. */
export function captureLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { entries: LogEntry[] } {
  const fn = (level: string): LogFn =>
    ((first: string | Record<string, unknown>, message?: string) => {
      if (typeof first === 'string') entries.push({ level, fields: { ...bindings }, message: first });
      else entries.push({ level, fields: { ...bindings, ...first }, message });
    }) as LogFn;
  return {
    entries,
    trace: fn('trace'),
    debug: fn('debug'),
    info: fn('info'),
    warn: fn('warn'),
    error: fn('error'),
    fatal: fn('fatal'),
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
