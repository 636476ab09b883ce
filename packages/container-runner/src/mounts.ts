import fs from 'node:fs/promises';
import path from 'node:path';
import { GROUP_FOLDER_PATTERN, RESERVED_GROUP_FOLDERS, type SandboxMount } from '@nanoclaw/core';
import { SandboxError } from './errors.js';
import { hasControlCharacters, isInside, isSafeRelativePath, isStrictlyInside } from './path-utils.js';

/** Where things appear inside every sandbox. */
export const SANDBOX_PATHS = {
  group: '/workspace/group',
  global: '/workspace/global',
  project: '/workspace/project',
  extra: '/workspace/extra',
  home: '/home/agent',
  /** Host-provided read-only helpers (egress relay, proxy socket). */
  host: '/run/nanoclaw',
} as const;

export type MountKind =
  | 'group'
  | 'global'
  | 'provider-home'
  | 'project'
  | 'shadow'
  | 'extra'
  | 'host'
  | 'app';

/** A mount as planned on the host: `hostPath` must still resolve inside `within` right before the spawn. */
export interface PlannedMount extends SandboxMount {
  kind: MountKind;
  /** The directory `hostPath` must stay inside after realpath (checked again by `verifyMounts`). */
  within: string;
}

/** A path inside the project that the main group must not see (shadowed by an empty file or directory). */
export interface ShadowTarget {
  /** Relative to the project root, e.g. `.env`. */
  relPath: string;
  type: 'file' | 'dir';
}

/** Shadowed for the main group when they exist: secrets (`.env`) and host state (`data`: db, session homes). */
export const DEFAULT_SHADOW_TARGETS: readonly ShadowTarget[] = [
  { relPath: '.env', type: 'file' },
  { relPath: 'data', type: 'dir' },
];

export interface BuildMountsOptions {
  /** Absolute project root (where `groups/` and `data/` live by default). */
  projectRoot: string;
  /** Default `<projectRoot>/groups`. */
  groupsDir?: string;
  /** Default `<projectRoot>/data`. */
  dataDir?: string;
  groupFolder: string;
  isMain: boolean;
  /** The session whose provider home is mounted: `<dataDir>/sessions/<sessionId>/home/<providerHomeDir>`. */
  sessionId: string;
  /** The provider's state directory under HOME, e.g. `.codex` (`ProviderHostContribution.homeDir`). */
  providerHomeDir: string;
  /** HOME inside the sandbox; default `/home/agent`. */
  home?: string;
  /**
   * Main group only: paths inside the project to hide, each of which EXISTS (a missing target would make the
   * runtime create a mount point in the host's project), and the empty sources mounted over them.
   */
  shadow?: { targets: readonly ShadowTarget[]; emptyFile: string; emptyDir: string };
  /** Already resolved and allowlisted extra mounts (see `resolveAdditionalMounts`). */
  additionalMounts?: readonly PlannedMount[];
}

/** Host paths derived from the options, also used by callers to create folders before a spawn. */
export function sandboxHostPaths(
  options: Pick<
    BuildMountsOptions,
    'projectRoot' | 'groupsDir' | 'dataDir' | 'groupFolder' | 'sessionId' | 'providerHomeDir'
  >,
) {
  const projectRoot = path.resolve(options.projectRoot);
  const groupsDir = path.resolve(options.groupsDir ?? path.join(projectRoot, 'groups'));
  const dataDir = path.resolve(options.dataDir ?? path.join(projectRoot, 'data'));
  const sessionDir = path.join(dataDir, 'sessions', options.sessionId);
  return {
    projectRoot,
    groupsDir,
    dataDir,
    groupDir: path.join(groupsDir, options.groupFolder),
    globalDir: path.join(groupsDir, 'global'),
    sessionDir,
    providerHome: path.join(sessionDir, 'home', options.providerHomeDir),
  };
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The mounts of one group's sandbox. Pure: no file system access.
 * - every group: its folder rw at /workspace/group, `groups/global` ro at /workspace/global, the session's
 *   provider home rw at `$HOME/<providerHomeDir>`;
 * - the main group also: the project root ro at /workspace/project, with `shadow` targets hidden;
 * - plus the allowlisted additional mounts.
 */
export function buildMounts(options: BuildMountsOptions): PlannedMount[] {
  if (!GROUP_FOLDER_PATTERN.test(options.groupFolder)) {
    throw new SandboxError('invalid-argument', `invalid group folder "${options.groupFolder}"`);
  }
  if ((RESERVED_GROUP_FOLDERS as readonly string[]).includes(options.groupFolder.toLowerCase())) {
    throw new SandboxError('invalid-argument', `group folder "${options.groupFolder}" is reserved`);
  }
  if (!SESSION_ID_PATTERN.test(options.sessionId) || options.sessionId.includes('..')) {
    throw new SandboxError('invalid-argument', `invalid session id "${options.sessionId}"`);
  }
  if (!isSafeRelativePath(options.providerHomeDir)) {
    throw new SandboxError('invalid-argument', `invalid provider home dir "${options.providerHomeDir}"`);
  }
  for (const [key, value] of [
    ['projectRoot', options.projectRoot],
    ['groupsDir', options.groupsDir],
    ['dataDir', options.dataDir],
  ] as const) {
    if (value !== undefined && !path.isAbsolute(value)) {
      throw new SandboxError('invalid-argument', `${key} must be absolute (got "${value}")`);
    }
  }
  const home = options.home ?? SANDBOX_PATHS.home;
  const paths = sandboxHostPaths(options);
  const mounts: PlannedMount[] = [
    {
      kind: 'group',
      hostPath: paths.groupDir,
      containerPath: SANDBOX_PATHS.group,
      readonly: false,
      within: paths.groupsDir,
    },
    {
      kind: 'global',
      hostPath: paths.globalDir,
      containerPath: SANDBOX_PATHS.global,
      readonly: true,
      within: paths.groupsDir,
    },
    {
      kind: 'provider-home',
      hostPath: paths.providerHome,
      containerPath: path.posix.join(home, options.providerHomeDir),
      readonly: false,
      within: paths.sessionDir,
    },
  ];
  if (options.isMain) {
    mounts.push({
      kind: 'project',
      hostPath: paths.projectRoot,
      containerPath: SANDBOX_PATHS.project,
      readonly: true,
      within: paths.projectRoot,
    });
    for (const target of options.shadow?.targets ?? []) {
      if (!isSafeRelativePath(target.relPath)) {
        throw new SandboxError('invalid-argument', `invalid shadow path "${target.relPath}"`);
      }
      const source = target.type === 'file' ? options.shadow?.emptyFile : options.shadow?.emptyDir;
      if (!source || !path.isAbsolute(source)) {
        throw new SandboxError('invalid-argument', `shadow ${target.type} source must be an absolute path`);
      }
      mounts.push({
        kind: 'shadow',
        hostPath: source,
        containerPath: path.posix.join(SANDBOX_PATHS.project, target.relPath),
        readonly: true,
        within: path.dirname(source),
      });
    }
  }
  for (const extra of options.additionalMounts ?? []) {
    if (!isInside(SANDBOX_PATHS.extra, extra.containerPath) || extra.containerPath === SANDBOX_PATHS.extra) {
      throw new SandboxError(
        'invalid-argument',
        `additional mounts go under ${SANDBOX_PATHS.extra}/ (got ${extra.containerPath})`,
      );
    }
    mounts.push(extra);
  }
  return mounts;
}

/** Container paths a mount may not cover (the runtime tree and kernel file systems). */
const RESERVED_CONTAINER_PATHS = ['/proc', '/sys', '/dev', '/usr', '/lib', '/lib64', '/bin', '/sbin', '/etc'];
/** Inside a reserved path, but meant for layers the host prepares (a group's npm packages). */
const LAYER_CONTAINER_PATH = '/usr/local';

export interface VerifyMountsOptions {
  /**
   * Host directories some sandbox can write besides this spec's rw mounts (other groups' folders, other
   * sessions' homes): nothing inside them may be a bind source.
   */
  writableRoots?: readonly string[];
}

/**
 * The last check before a spawn: every host path is resolved with realpath (it must exist), must stay inside
 * its `within` root, and must not lie inside a sandbox-writable folder (an agent could have swapped it for a
 * symlink since the last run). Returns the mounts with canonical host paths: the runtime binds exactly what was
 * checked.
 */
export async function verifyMounts<T extends SandboxMount>(
  mounts: readonly T[],
  options: VerifyMountsOptions = {},
): Promise<T[]> {
  const seenTargets = new Set<string>();
  for (const mount of mounts) {
    checkContainerPath(mount.containerPath);
    if (seenTargets.has(mount.containerPath)) refuse(mount, `two mounts target ${mount.containerPath}`);
    seenTargets.add(mount.containerPath);
    if (!path.isAbsolute(mount.hostPath) || hasControlCharacters(mount.hostPath)) {
      refuse(mount, 'the host path must be absolute and free of control characters');
    }
  }
  // As declared: nothing below a folder the sandbox can write is a bind source, wherever it points today.
  const declaredWritable = [
    ...mounts.filter((m) => !m.readonly).map((m) => path.resolve(m.hostPath)),
    ...(options.writableRoots ?? []).map((p) => path.resolve(p)),
  ];
  for (const mount of mounts) {
    const declared = path.resolve(mount.hostPath);
    const root = declaredWritable.find((w) => isStrictlyInside(w, declared));
    if (root) refuse(mount, `its source lies inside the sandbox-writable folder ${root}`);
  }
  const resolved: T[] = [];
  for (const mount of mounts) {
    const real = await realpathOrRefuse(mount, mount.hostPath);
    const within = (mount as Partial<PlannedMount>).within;
    if (within !== undefined) {
      const realWithin = await realpathOrRefuse(mount, within);
      if (!isInside(realWithin, real)) refuse(mount, `it resolves to ${real}, outside ${realWithin}`);
    }
    resolved.push({ ...mount, hostPath: real });
  }
  // As resolved: the same rule for the real paths (a writable folder reached through a symlinked prefix).
  const writable = [
    ...resolved.filter((m) => !m.readonly).map((m) => m.hostPath),
    ...(await realpathAll(options.writableRoots ?? [])),
  ];
  for (const mount of resolved) {
    for (const root of writable) {
      if (isStrictlyInside(root, mount.hostPath)) {
        refuse(mount, `its source ${mount.hostPath} lies inside the sandbox-writable folder ${root}`);
      }
    }
  }
  return resolved;
}

function checkContainerPath(containerPath: string): void {
  const normalized = path.posix.normalize(containerPath);
  if (
    !containerPath.startsWith('/') ||
    normalized !== containerPath ||
    containerPath === '/' ||
    containerPath.endsWith('/') ||
    containerPath.includes(':') ||
    containerPath.includes(',') ||
    hasControlCharacters(containerPath)
  ) {
    throw new SandboxError('mount-refused', `invalid container path "${containerPath}"`);
  }
  for (const reserved of RESERVED_CONTAINER_PATHS) {
    if (isInside(reserved, containerPath) && !isInside(LAYER_CONTAINER_PATH, containerPath)) {
      throw new SandboxError('mount-refused', `container path ${containerPath} is reserved (${reserved})`);
    }
  }
}

async function realpathOrRefuse(mount: SandboxMount, target: string): Promise<string> {
  try {
    return await fs.realpath(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    refuse(mount, `${target} cannot be resolved (${code})`);
  }
}

async function realpathAll(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      out.push(await fs.realpath(p));
    } catch {
      // A writable root that does not exist holds nothing to protect.
    }
  }
  return out;
}

function refuse(mount: SandboxMount, reason: string): never {
  throw new SandboxError(
    'mount-refused',
    `mount ${mount.hostPath} -> ${mount.containerPath} refused: ${reason}`,
  );
}

/** Creates (once) the empty, read-only file and directory mounted over shadowed paths; returns their paths. */
export async function prepareShadowSources(dir: string): Promise<{ emptyFile: string; emptyDir: string }> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const emptyFile = path.join(dir, 'empty-file');
  const emptyDir = path.join(dir, 'empty-dir');
  const fileStat = await fs.lstat(emptyFile).catch(() => null);
  if (!fileStat) await fs.writeFile(emptyFile, '', { mode: 0o444, flag: 'wx' });
  else if (!fileStat.isFile() || fileStat.size !== 0) {
    throw new SandboxError('unsafe-path', `${emptyFile} exists and is not an empty regular file`);
  }
  const dirStat = await fs.lstat(emptyDir).catch(() => null);
  if (!dirStat) await fs.mkdir(emptyDir, { mode: 0o555 });
  else if (!dirStat.isDirectory() || (await fs.readdir(emptyDir)).length > 0) {
    throw new SandboxError('unsafe-path', `${emptyDir} exists and is not an empty directory`);
  }
  await fs.chmod(emptyFile, 0o444);
  await fs.chmod(emptyDir, 0o555);
  return { emptyFile, emptyDir };
}

/** The shadow targets that exist in the project (only those may be shadowed; see `BuildMountsOptions.shadow`). */
export async function findShadowTargets(
  projectRoot: string,
  candidates: readonly ShadowTarget[] = DEFAULT_SHADOW_TARGETS,
): Promise<ShadowTarget[]> {
  const found: ShadowTarget[] = [];
  for (const target of candidates) {
    const stat = await fs.lstat(path.join(projectRoot, target.relPath)).catch(() => null);
    if (!stat) continue;
    if (target.type === 'file' ? !stat.isDirectory() : stat.isDirectory()) found.push(target);
    else found.push({ relPath: target.relPath, type: stat.isDirectory() ? 'dir' : 'file' });
  }
  return found;
}
