import fs from 'node:fs';
import path from 'node:path';
import {
  createRuntime,
  defaultMountAllowlistPath,
  detectRuntime,
  loadMountAllowlist,
} from '@nanoclaw/container-runner';
import { errorMessage } from '@nanoclaw/core';
import { migrations, openDatabase } from '@nanoclaw/db';
import type { HostConfig } from '../../config.js';
import { apiTokenPath } from '../../http/api-token.js';
import { type DoctorCheck, fail, ok, warn } from './doctor-check.js';

const MIN_NODE = [20, 19] as const;

export function checkNode(version: string): DoctorCheck {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const fits = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return fits
    ? ok('node', `v${version.replace(/^v/, '')}`)
    : fail(
        'node',
        `v${version.replace(/^v/, '')} is too old`,
        `install Node ${MIN_NODE.join('.')} or newer`,
        true,
      );
}

export type RuntimeProbe =
  | { ok: true; name: string; detail: string }
  | { ok: false; reason: string; hint?: string };

/** Asks the configured runtime (or auto-detection) whether it can run sandboxes here. */
export async function probeRuntime(name: HostConfig['NANOCLAW_RUNTIME']): Promise<RuntimeProbe> {
  try {
    if (name === 'auto') {
      const detected = await detectRuntime();
      return { ok: true, name: detected.runtime.name, detail: detected.detail };
    }
    const runtime = await createRuntime(
      name,
      name === 'process' ? { process: { unsafeAllowNoIsolation: true } } : {},
    );
    const availability = await runtime.available();
    return availability.ok
      ? { ok: true, name, detail: availability.detail }
      : { ok: false, reason: availability.reason, hint: availability.hint };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}

export function runtimeCheck(configured: HostConfig['NANOCLAW_RUNTIME'], probe: RuntimeProbe): DoctorCheck {
  const name = 'runtime';
  if (!probe.ok) {
    const hint =
      probe.hint ??
      (configured === 'auto'
        ? 'install one of the runtimes above'
        : `install ${configured}, or set NANOCLAW_RUNTIME=auto`);
    // The host still starts (status and chats work), but it answers every message with this error.
    const consequence = 'the host starts, but no agent can run: every message is answered with this error';
    return fail(
      name,
      `${configured === 'auto' ? '' : `${configured}: `}${probe.reason}\n${consequence}`,
      hint,
      true,
    );
  }
  if (probe.name === 'process') {
    return warn(name, `process: ${probe.detail}`, 'agents run WITHOUT isolation: for development only');
  }
  return ok(name, `${probe.name}: ${probe.detail}${configured === 'auto' ? ' (auto-detected)' : ''}`);
}

/** Opens an existing database read-only-ish (no migrations) and runs `quick_check`; a missing one is fine. */
export async function checkDatabase(dataDir: string): Promise<DoctorCheck> {
  const file = path.join(dataDir, 'nanoclaw.db');
  if (!fs.existsSync(file)) {
    const writable = nearestWritableAncestor(dataDir);
    return writable
      ? ok('database', `not created yet: the first start creates ${file}`)
      : fail(
          'database',
          `cannot create ${file}: ${dataDir} is not writable`,
          'set NANOCLAW_DATA_DIR to a writable folder',
          true,
        );
  }
  try {
    const database = await openDatabase({ path: file, migrate: false });
    try {
      const check = database.sqlite.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
      return ok('database', `${file}: quick_check ok${describeMigrations(database.sqlite)}`);
    } finally {
      await database.close();
    }
  } catch (error) {
    return fail(
      'database',
      errorMessage(error),
      'restore data/nanoclaw.db from a backup, or move it away to start fresh',
      true,
    );
  }
}

function describeMigrations(sqlite: { prepare(sql: string): { all(): unknown[] } }): string {
  const known = Object.keys(migrations);
  let applied: string[] = [];
  try {
    applied = (sqlite.prepare('select name from kysely_migration').all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
  } catch {
    return `, ${known.length} migration${known.length === 1 ? '' : 's'} to apply at start`;
  }
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new Error(
      `the database has migrations this nanoclaw does not know (${unknown.join(', ')}): it is newer`,
    );
  const pending = known.length - applied.length;
  return pending > 0 ? `, ${pending} migration${pending === 1 ? '' : 's'} to apply at start` : '';
}

function nearestWritableAncestor(dir: string): boolean {
  let current = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(current)) {
      try {
        fs.accessSync(current, fs.constants.W_OK);
        return fs.statSync(current).isDirectory();
      } catch {
        return false;
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

export function checkApiToken(dataDir: string): DoctorCheck {
  const file = apiTokenPath(dataDir);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return ok('API token', `not created yet: the first start writes ${file} (mode 0600)`);
  }
  if (stat.isSymbolicLink())
    return fail('API token', `${file} is a symlink`, `delete ${file}; the host writes a new one`, true);
  if (!stat.isFile())
    return fail('API token', `${file} is not a file`, `delete ${file}; the host writes a new one`, true);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return warn(
      'API token',
      `${file} is readable by others (mode ${mode.toString(8)})`,
      'the host narrows it to 0600 at start',
    );
  }
  return ok('API token', file);
}

export async function checkMountAllowlist(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
): Promise<DoctorCheck> {
  const file = defaultMountAllowlistPath(env, homeDir);
  if (!fs.existsSync(file)) return ok('mount allowlist', `none at ${file}: no additional mounts allowed`);
  try {
    const allowlist = await loadMountAllowlist(file);
    const roots = allowlist.allowedRoots.length;
    return ok('mount allowlist', `${file}: ${roots} allowed root${roots === 1 ? '' : 's'}`);
  } catch (error) {
    return fail(
      'mount allowlist',
      errorMessage(error),
      `fix ${file} (or remove it to allow no additional mounts)`,
      true,
    );
  }
}
