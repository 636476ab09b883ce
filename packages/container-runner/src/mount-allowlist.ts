import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AdditionalMount, errorMessage } from '@nanoclaw/core';
import { SandboxError } from './errors.js';
import { type PlannedMount, SANDBOX_PATHS } from './mounts.js';
import { expandHome, isInside, isSafeRelativePath } from './path-utils.js';

/**
 * `~/.config/nanoclaw/mount-allowlist.json`: which host directories groups may mount. It lives outside the
 * project and is never mounted, so no agent can edit it.
 *
 * ```json
 * {
 *   "allowedRoots": [
 *     { "path": "~/code", "allowReadWrite": true, "description": "work repos" },
 *     { "path": "/srv/datasets", "nonMainReadOnly": false }
 *   ],
 *   "blockedPatterns": ["secrets"],
 *   "nonMainReadOnly": true
 * }
 * ```
 */
export interface MountAllowlist {
  allowedRoots: AllowedRoot[];
  /** Added to `DEFAULT_BLOCKED_PATTERNS`. */
  blockedPatterns: string[];
  /** Non-main groups get every additional mount read-only (default true); a root may override it. */
  nonMainReadOnly: boolean;
}

export interface AllowedRoot {
  /** Absolute or `~/...`. */
  path: string;
  /** Whether mounts under this root may be read-write at all (default false). */
  allowReadWrite: boolean;
  /** Overrides the file's `nonMainReadOnly` for this root. */
  nonMainReadOnly?: boolean;
  description?: string;
}

/** Path segments never mounted, whatever the allowlist says (matched case-insensitively against each segment). */
export const DEFAULT_BLOCKED_PATTERNS: readonly string[] = [
  '.ssh',
  '.gnupg',
  '.gpg',
  '.aws',
  '.azure',
  '.gcloud',
  '.config/gcloud',
  '.kube',
  '.docker',
  '.env',
  '.netrc',
  '.npmrc',
  '.pypirc',
  '.git-credentials',
  '.password-store',
  '.config/nanoclaw',
  'credentials',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'private_key',
  '.pem',
  '.key',
];

/** `~/.config/nanoclaw/mount-allowlist.json` (respects `XDG_CONFIG_HOME`). */
export function defaultMountAllowlistPath(
  env: Readonly<Record<string, string | undefined>> = {},
  home = os.homedir(),
): string {
  const configHome =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(home, '.config');
  return path.join(configHome, 'nanoclaw', 'mount-allowlist.json');
}

/** An allowlist that allows nothing: what a missing file means. */
export const EMPTY_MOUNT_ALLOWLIST: MountAllowlist = {
  allowedRoots: [],
  blockedPatterns: [],
  nonMainReadOnly: true,
};

/** Validates the parsed JSON of an allowlist file; unknown keys are an error so a typo never silently does nothing. */
export function parseMountAllowlist(value: unknown, source = 'mount allowlist'): MountAllowlist {
  const fail = (message: string): never => {
    throw new SandboxError('invalid-allowlist', `${source}: ${message}`);
  };
  if (!isRecord(value)) fail('must be a JSON object');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['$schema', 'allowedRoots', 'blockedPatterns', 'nonMainReadOnly'].includes(key))
      fail(`unknown key "${key}"`);
  }
  const rootsValue = record.allowedRoots ?? [];
  if (!Array.isArray(rootsValue)) fail('"allowedRoots" must be an array');
  const allowedRoots = (rootsValue as unknown[]).map((root, index): AllowedRoot => {
    const where = `allowedRoots[${index}]`;
    if (!isRecord(root)) return fail(`${where} must be an object`);
    for (const key of Object.keys(root)) {
      if (!['path', 'allowReadWrite', 'nonMainReadOnly', 'description'].includes(key))
        fail(`${where}: unknown key "${key}"`);
    }
    if (typeof root.path !== 'string' || root.path.trim() === '')
      fail(`${where}.path must be a non-empty string`);
    const rootPath = root.path as string;
    if (!rootPath.startsWith('/') && rootPath !== '~' && !rootPath.startsWith('~/')) {
      fail(`${where}.path must be absolute or start with ~/`);
    }
    if (root.allowReadWrite !== undefined && typeof root.allowReadWrite !== 'boolean')
      fail(`${where}.allowReadWrite must be a boolean`);
    if (root.nonMainReadOnly !== undefined && typeof root.nonMainReadOnly !== 'boolean')
      fail(`${where}.nonMainReadOnly must be a boolean`);
    if (root.description !== undefined && typeof root.description !== 'string')
      fail(`${where}.description must be a string`);
    return {
      path: rootPath,
      allowReadWrite: root.allowReadWrite === true,
      ...(typeof root.nonMainReadOnly === 'boolean' ? { nonMainReadOnly: root.nonMainReadOnly } : {}),
      ...(typeof root.description === 'string' ? { description: root.description } : {}),
    };
  });
  const patternsValue = record.blockedPatterns ?? [];
  if (!Array.isArray(patternsValue) || !patternsValue.every((p) => typeof p === 'string' && p.length > 0)) {
    fail('"blockedPatterns" must be an array of non-empty strings');
  }
  const nonMainReadOnly = record.nonMainReadOnly ?? true;
  if (typeof nonMainReadOnly !== 'boolean') fail('"nonMainReadOnly" must be a boolean');
  return {
    allowedRoots,
    blockedPatterns: patternsValue as string[],
    nonMainReadOnly: nonMainReadOnly as boolean,
  };
}

/** Reads the allowlist; a missing file is the empty allowlist (no additional mounts), a malformed one an error. */
export async function loadMountAllowlist(file: string): Promise<MountAllowlist> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_MOUNT_ALLOWLIST;
    throw new SandboxError('invalid-allowlist', `cannot read ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SandboxError('invalid-allowlist', `${file} is not valid JSON: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return parseMountAllowlist(parsed, file);
}

/** The blocked pattern a path matches, if any: a segment equal to or containing a pattern (case-insensitive). */
export function matchBlockedPattern(hostPath: string, patterns: readonly string[]): string | undefined {
  const lower = hostPath.toLowerCase();
  const segments = lower.split('/').filter(Boolean);
  for (const raw of patterns) {
    const pattern = raw.toLowerCase();
    if (pattern.includes('/')) {
      if (`${lower}/`.includes(`/${pattern.replace(/^\/+|\/+$/g, '')}/`)) return raw;
    } else if (segments.some((segment) => segment === pattern || segment.includes(pattern))) {
      return raw;
    }
  }
  return undefined;
}

export interface ResolveAdditionalMountsOptions {
  allowlist: MountAllowlist;
  isMain: boolean;
  /** Where the allowlist file lives: never mountable (nor any folder containing it). */
  allowlistPath: string;
  /**
   * Never mountable, nor anything inside or containing them: the project root, the groups and data folders
   * (sandbox-writable or holding host state).
   */
  protectedPaths: readonly string[];
  /** For `~` expansion; default `os.homedir()`. */
  homeDir?: string;
}

export interface RejectedMount {
  mount: AdditionalMount;
  reason: string;
}

export interface ResolvedAdditionalMounts {
  mounts: PlannedMount[];
  rejected: RejectedMount[];
  /** Mounts that were asked read-write and granted read-only, with why. */
  downgraded: RejectedMount[];
}

/**
 * Checks a group's `additionalMounts` (container.json) against the allowlist: each host path is expanded,
 * resolved with realpath, must lie under an allowed root, outside every protected path, match no blocked
 * pattern, and gets `/workspace/extra/<containerPath>`. Read-write only when the root allows it (and, for
 * non-main groups, when `nonMainReadOnly` is off). Nothing that fails is mounted; each failure is reported.
 */
export async function resolveAdditionalMounts(
  requested: readonly AdditionalMount[],
  options: ResolveAdditionalMountsOptions,
): Promise<ResolvedAdditionalMounts> {
  const home = options.homeDir ?? os.homedir();
  const result: ResolvedAdditionalMounts = { mounts: [], rejected: [], downgraded: [] };
  const patterns = [...DEFAULT_BLOCKED_PATTERNS, ...options.allowlist.blockedPatterns];
  const roots: Array<{ root: AllowedRoot; real: string }> = [];
  for (const root of options.allowlist.allowedRoots) {
    const real = await fs.realpath(expandHome(root.path, home)).catch(() => null);
    if (real) roots.push({ root, real });
  }
  const protectedReal = await Promise.all(
    [...options.protectedPaths, path.dirname(options.allowlistPath)].map((p) =>
      fs.realpath(p).catch(() => path.resolve(p)),
    ),
  );
  const homeReal = await fs.realpath(home).catch(() => path.resolve(home));
  const usedTargets = new Set<string>();

  for (const mount of requested) {
    const reject = (reason: string) => result.rejected.push({ mount, reason });
    if (!isSafeRelativePath(mount.containerPath)) {
      reject(`container path "${mount.containerPath}" must be relative, without ".." or ":"`);
      continue;
    }
    const containerPath = path.posix.join(SANDBOX_PATHS.extra, mount.containerPath);
    if (usedTargets.has(containerPath)) {
      reject(`container path ${containerPath} is used twice`);
      continue;
    }
    const expanded = expandHome(mount.hostPath, home);
    if (!path.isAbsolute(expanded)) {
      reject(`host path "${mount.hostPath}" must be absolute or start with ~/`);
      continue;
    }
    const lexicalBlock = matchBlockedPattern(path.resolve(expanded), patterns);
    if (lexicalBlock) {
      reject(`host path matches the blocked pattern "${lexicalBlock}"`);
      continue;
    }
    let real: string;
    try {
      real = await fs.realpath(expanded);
    } catch (error) {
      reject(
        `host path ${expanded} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
      continue;
    }
    const blocked = matchBlockedPattern(real, patterns);
    if (blocked) {
      reject(`host path resolves to ${real}, which matches the blocked pattern "${blocked}"`);
      continue;
    }
    if (real === '/' || isInside(real, homeReal)) {
      reject(`host path ${real} is the home folder or one of its parents`);
      continue;
    }
    const clash = protectedReal.find((p) => isInside(p, real) || isInside(real, p));
    if (clash) {
      reject(`host path ${real} overlaps the protected path ${clash}`);
      continue;
    }
    const match = roots
      .filter(({ real: rootReal }) => isInside(rootReal, real))
      .sort((a, b) => b.real.length - a.real.length)[0];
    if (!match) {
      reject(`host path ${real} is not under an allowed root`);
      continue;
    }
    let readonly = mount.readonly;
    if (!readonly) {
      const nonMainReadOnly = match.root.nonMainReadOnly ?? options.allowlist.nonMainReadOnly;
      if (!match.root.allowReadWrite) {
        readonly = true;
        result.downgraded.push({ mount, reason: `root ${match.root.path} does not allow read-write` });
      } else if (!options.isMain && nonMainReadOnly) {
        readonly = true;
        result.downgraded.push({ mount, reason: 'non-main groups get additional mounts read-only' });
      }
    }
    usedTargets.add(containerPath);
    result.mounts.push({ kind: 'extra', hostPath: real, containerPath, readonly, within: match.real });
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
