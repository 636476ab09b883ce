import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  errorMessage,
  type Logger,
  type RuntimeAvailability,
  type SandboxProcess,
  type SandboxSpec,
  silentLogger,
} from '@nanoclaw/core';
import { SandboxError } from '../errors.js';
import { verifyMounts } from '../mounts.js';
import { runCommand } from '../run-command.js';
import { findHostBinary } from './host-binary.js';
import {
  type AppliedLimits,
  buildPrlimitArgs,
  type CgroupPlan,
  createCgroup,
  detectCgroupSupport,
  joinCgroup,
  planCgroupV1,
  planCgroupV2,
  removeCgroup,
} from './limits.js';
import { ensureRuntimeTree } from './runtime-tree.js';
import { LiveSandboxes } from './sandbox-labels.js';
import { spawnLauncher, wrapChild } from './sandbox-process.js';
import { checkSpec } from './spec-checks.js';

/** The fds the launcher gets besides stdio: bwrap's NUL-separated args, then /etc/passwd and /etc/group data. */
export const BWRAP_ARGS_FD = 3;
export const BWRAP_PASSWD_FD = 4;
export const BWRAP_GROUP_FD = 5;

/** Host files bound read-only for `network: 'full'` so name resolution works. */
const NETWORK_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/ssl/certs'];

export interface BwrapInvocation {
  /** argv of the launcher (setpriv/prlimit/bwrap), shown in the host's process list: no host paths, no env. */
  argv: string[];
  /** bwrap's real arguments, passed NUL-separated through `BWRAP_ARGS_FD` (never on a command line). */
  fdArgs: string[];
  /** Content for /etc/passwd and /etc/group in the sandbox. */
  passwd: string;
  group: string;
}

export interface BuildBwrapArgsOptions {
  /** Root of the runtime tree (`<tree>/usr` is bound at /usr). */
  runtimeTree: string;
  /** Absolute path of bwrap (and of setpriv / prlimit when used). */
  bwrapPath: string;
  /** Host runs as root: drop to the spec's uid with setpriv before bwrap (sandbox uid = host uid). */
  setprivPath?: string;
  /** prlimit prefix (when no cgroup is writable). */
  prlimit?: { path: string; args: readonly string[] };
  /** Hostname inside (default `nanoclaw`). */
  hostname?: string;
}

/**
 * The bwrap invocation for a spec (pure). Every namespace unshared (`--unshare-all`, plus `--share-net` only for
 * network `full`), no nested user namespaces, `--die-with-parent`, `--new-session`, `--clearenv` with only the
 * spec's env set, the runtime tree read-only at /usr, tmpfs /tmp and HOME, the spec's mounts (sorted so parents
 * come first), and the spec's uid inside.
 */
export function buildBwrapArgs(spec: SandboxSpec, options: BuildBwrapArgsOptions): BwrapInvocation {
  checkSpec(spec);
  const { uid, gid } = spec.user;
  const home = spec.env.HOME ?? '/home/agent';
  const fdArgs: string[] = [
    '--unshare-all',
    '--unshare-user',
    ...(spec.network === 'full' ? ['--share-net'] : []),
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--uid',
    String(uid),
    '--gid',
    String(gid),
    '--hostname',
    options.hostname ?? 'nanoclaw',
    '--clearenv',
  ];
  for (const [key, value] of Object.entries(spec.env)) fdArgs.push('--setenv', key, value);
  fdArgs.push(...rootArgs(spec.rootfs ?? options.runtimeTree, spec.rootfs !== undefined));
  fdArgs.push(
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--perms',
    '0700',
    '--tmpfs',
    home,
    '--ro-bind-data',
    String(BWRAP_PASSWD_FD),
    '/etc/passwd',
    '--ro-bind-data',
    String(BWRAP_GROUP_FD),
    '/etc/group',
  );
  if (spec.network === 'full') {
    for (const file of NETWORK_FILES) fdArgs.push('--ro-bind-try', file, file);
  }
  const depth = (p: string) => p.split('/').length;
  const mounts = [...spec.mounts].sort((a, b) => depth(a.containerPath) - depth(b.containerPath));
  for (const mount of mounts)
    fdArgs.push(mount.readonly ? '--ro-bind' : '--bind', mount.hostPath, mount.containerPath);
  // The new root is a tmpfs: make it read-only once everything is mounted (binds keep their own flags).
  fdArgs.push('--remount-ro', '/', '--chdir', spec.cwd);

  const argv: string[] = [];
  if (options.prlimit) argv.push(options.prlimit.path, ...options.prlimit.args, '--');
  if (options.setprivPath) {
    argv.push(options.setprivPath, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--');
  }
  argv.push(options.bwrapPath, '--args', String(BWRAP_ARGS_FD), '--', ...spec.command);
  const shell = spec.rootfs === undefined ? '/bin/sh' : '/bin/bash';
  return { argv, fdArgs, ...sandboxAccounts({ uid, gid, home, shell }) };
}

/** Merged-/usr links every root gets (Debian since bookworm: /bin, /sbin, /lib, /lib64 point into /usr). */
const USR_LINKS = ['bin', 'sbin', 'lib', 'lib64'] as const;

/**
 * The sandbox's system folders: a userland (`rootfs`) gives its `usr`, `etc` and `var` read-only (with a private
 * /var/tmp); the minimal runtime tree only its `usr`. Both get the merged-/usr links.
 */
function rootArgs(root: string, userland: boolean): string[] {
  const args = ['--ro-bind', path.join(root, 'usr'), '/usr'];
  if (userland) {
    args.push('--ro-bind', path.join(root, 'etc'), '/etc', '--ro-bind', path.join(root, 'var'), '/var');
    args.push('--tmpfs', '/var/tmp');
  }
  for (const link of USR_LINKS) args.push('--symlink', `usr/${link}`, `/${link}`);
  return args;
}

/**
 * /etc/passwd and /etc/group for a sandbox user (pure): root and nobody, and `agent` with the sandbox's uid, its
 * real home and shell. Runtimes write these over the image's own, so the entry matches whatever uid runs.
 */
export function sandboxAccounts(user: { uid: number; gid: number; home: string; shell: string }): {
  passwd: string;
  group: string;
} {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:${user.uid}:${user.gid}:agent:${user.home}:${user.shell}\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\nagent:x:${user.gid}:\nnogroup:x:65534:\n`,
  };
}

export interface BwrapRuntimeOptions {
  /** Where the minimal runtime tree is built once (default: /var/cache/nanoclaw/bwrap-runtime as root, else ~/.cache/nanoclaw/bwrap-runtime). */
  cacheDir?: string;
  /** The node binary copied into the tree (default `process.execPath`). */
  nodePath?: string;
  /** How limits are enforced: cgroups when writable, else prlimit (`auto`, the default); `none` skips them. */
  limits?: 'auto' | 'cgroup' | 'prlimit' | 'none';
  /** Parent cgroup name (default `nanoclaw`). */
  cgroupParent?: string;
  /** Host PATH for finding bwrap, setpriv, prlimit, ldd (default `process.env.PATH`). */
  hostPath?: string;
  /** The sandbox uid for the `available()` probe (default 65534). */
  probeUser?: { uid: number; gid: number };
  logger?: Logger;
}

/** A bwrap sandbox also reports which limits it really got. */
export interface BwrapSandboxProcess extends SandboxProcess {
  readonly limits: AppliedLimits;
  /** The launcher's host pid. */
  readonly pid: number | undefined;
}

export interface BwrapRuntime extends ContainerRuntime {
  readonly name: 'bwrap';
  spawn(spec: SandboxSpec): Promise<BwrapSandboxProcess>;
}

function defaultCacheDir(): string {
  return process.getuid?.() === 0
    ? '/var/cache/nanoclaw/bwrap-runtime'
    : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'nanoclaw', 'bwrap-runtime');
}

/**
 * bubblewrap: a daemonless sandbox for Linux (about 5 ms per spawn). Launched with an EMPTY environment (the
 * PID-1 reaper would otherwise expose the host env in /proc/1/environ), as the spec's non-root uid (setpriv
 * when the host is root; bwrap's own user namespace otherwise), with its arguments passed through a pipe so
 * /proc/1/cmdline shows no host paths. Sandboxes die with the host process (`--die-with-parent`), so nothing
 * survives a host crash; `list()` reports the ones this runtime started.
 */
export function createBwrapRuntime(options: BwrapRuntimeOptions = {}): BwrapRuntime {
  const logger = options.logger ?? silentLogger;
  const hostPath = options.hostPath ?? process.env.PATH;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const isRoot = process.getuid?.() === 0;
  const live = new LiveSandboxes<BwrapSandboxProcess>();
  let tools: Promise<BwrapTools> | undefined;

  const resolveTools = () => {
    tools ??= findBwrapTools({ hostPath, isRoot, cacheDir, nodePath: options.nodePath });
    tools.catch(() => {
      tools = undefined;
    });
    return tools;
  };

  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'bwrap',
    available: () => checkBwrap(resolveTools, isRoot, options.probeUser),
    async spawn(spec: SandboxSpec): Promise<BwrapSandboxProcess> {
      checkSpec(spec);
      live.assertFree(spec.name);
      const resolved = await resolveTools();
      const rootfs = spec.rootfs === undefined ? undefined : await checkRootfs(spec.rootfs);
      const mounts = await verifyMounts(spec.mounts);
      const limits = await planLimits(spec, options, isRoot, resolved.prlimit);
      const invocation = buildBwrapArgs(
        { ...spec, mounts, ...(rootfs ? { rootfs } : {}) },
        {
          runtimeTree: resolved.tree,
          bwrapPath: resolved.bwrap,
          ...(resolved.setpriv ? { setprivPath: resolved.setpriv } : {}),
          ...(limits.prlimit ? { prlimit: limits.prlimit } : {}),
        },
      );
      const cgroup: CgroupPlan | undefined = limits.cgroup;
      if (cgroup) await createCgroup(cgroup);
      const [file, ...args] = invocation.argv as [string, ...string[]];
      // An EMPTY env: bwrap's PID-1 reaper keeps its launcher's env, readable as /proc/1/environ inside.
      const child = spawnLauncher(file, args, {
        env: {},
        stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      });
      const cleanup = async () => {
        if (cgroup)
          await removeCgroup(cgroup).catch((error) =>
            logger.warn({ sandbox: spec.name, err: errorMessage(error) }, 'cgroup cleanup failed'),
          );
      };
      let proc: BwrapSandboxProcess;
      try {
        proc = await wrapChild({
          name: spec.name,
          child,
          stop: async () => {
            child.kill('SIGKILL');
          },
          extra: { limits: limits.applied, pid: child.pid },
        });
      } catch (error) {
        await cleanup();
        throw error;
      }
      try {
        // Join the cgroup BEFORE bwrap can start anything: it blocks reading its args until we write them.
        if (cgroup && child.pid !== undefined) await joinCgroup(cgroup, child.pid);
        const fds = child.stdio as readonly unknown[];
        writeFd(fds[BWRAP_PASSWD_FD], invocation.passwd);
        writeFd(fds[BWRAP_GROUP_FD], invocation.group);
        writeFd(fds[BWRAP_ARGS_FD], `${invocation.fdArgs.join('\0')}\0`);
      } catch (error) {
        child.kill('SIGKILL');
        await proc.exited;
        await cleanup();
        throw new SandboxError(
          'runtime-failed',
          `cannot start bwrap sandbox ${spec.name}: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      // `exited` (and so `kill()`) resolves once the cgroup is gone too: nothing of the sandbox is left.
      const exited = proc.exited.then(async (exit) => {
        live.delete(spec.name);
        await cleanup();
        return exit;
      });
      const sandbox: BwrapSandboxProcess = {
        name: proc.name,
        stdin: proc.stdin,
        stdout: proc.stdout,
        stderr: proc.stderr,
        limits: proc.limits,
        pid: proc.pid,
        exited,
        kill: async () => {
          await proc.kill();
          await exited;
        },
      };
      live.add(spec.name, spec.labels, sandbox);
      logger.debug({ sandbox: spec.name, limits: limits.applied.mechanism }, 'bwrap sandbox started');
      return sandbox;
    },
    list: async (labels) => live.list(labels),
    stop: (name) => live.stop(name),
  };
}

interface BwrapTools {
  bwrap: string;
  setpriv?: string;
  prlimit?: string;
  tree: string;
}

/** bwrap, setpriv (when root), prlimit and the runtime tree: what every sandbox of this runtime needs. */
async function findBwrapTools(where: {
  hostPath: string | undefined;
  isRoot: boolean;
  cacheDir: string;
  nodePath: string | undefined;
}): Promise<BwrapTools> {
  const { hostPath, isRoot, cacheDir } = where;
  const bwrap = await findHostBinary('bwrap', hostPath);
  if (!bwrap)
    throw new SandboxError('runtime-unavailable', 'bwrap is not installed (apt-get install bubblewrap)');
  const setpriv = isRoot ? await findHostBinary('setpriv', hostPath) : null;
  if (isRoot && !setpriv) {
    throw new SandboxError(
      'runtime-unavailable',
      'running as root needs setpriv (util-linux) to drop to the sandbox uid',
    );
  }
  const prlimit = await findHostBinary('prlimit', hostPath);
  const tree = await ensureRuntimeTree({ cacheDir, nodePath: where.nodePath, hostPath });
  return { bwrap, ...(setpriv ? { setpriv } : {}), ...(prlimit ? { prlimit } : {}), tree };
}

/** How a sandbox's limits are enforced: a cgroup when one is writable (or required), else prlimit, else none. */
async function planLimits(
  spec: SandboxSpec,
  options: Pick<BwrapRuntimeOptions, 'limits' | 'cgroupParent'>,
  isRoot: boolean,
  prlimitPath: string | undefined,
): Promise<{
  applied: AppliedLimits;
  cgroup?: CgroupPlan;
  prlimit?: { path: string; args: string[] };
}> {
  const mode = options.limits ?? 'auto';
  if (mode === 'none') {
    return {
      applied: { mechanism: 'none', notApplied: ['memory', 'pids', 'cpu'] } satisfies AppliedLimits,
    };
  }
  if (mode === 'auto' || mode === 'cgroup') {
    const support = await detectCgroupSupport();
    if (support) {
      const parent = options.cgroupParent ?? 'nanoclaw';
      const plan =
        support.version === 'v1'
          ? planCgroupV1(support.root, parent, spec.name, spec.limits)
          : planCgroupV2(support.root, parent, spec.name, spec.limits);
      return { applied: plan.applied, cgroup: plan };
    }
    if (mode === 'cgroup')
      throw new SandboxError('runtime-unavailable', 'no writable cgroup hierarchy (memory, pids, cpu)');
  }
  if (!prlimitPath) {
    return {
      applied: {
        mechanism: 'none',
        notApplied: ['memory', 'pids', 'cpu: prlimit not found'],
      } satisfies AppliedLimits,
    };
  }
  // RLIMIT_NPROC is per uid: useful only when the sandbox uid is not the host user's own (root launches).
  const { args, applied } = buildPrlimitArgs(spec.limits, { nproc: isRoot });
  return { applied, prlimit: { path: prlimitPath, args } };
}

/** Whether bwrap runs here: its tools are found and a probe sandbox (node -e 0) starts and exits 0. */
async function checkBwrap(
  resolveTools: () => Promise<BwrapTools>,
  isRoot: boolean,
  probeUser: { uid: number; gid: number } | undefined,
): Promise<RuntimeAvailability> {
  if (process.platform !== 'linux')
    return { ok: false, reason: 'bubblewrap runs on Linux only', hint: 'use Docker or Apple Container' };
  let resolved: BwrapTools;
  try {
    resolved = await resolveTools();
  } catch (error) {
    return {
      ok: false,
      reason: errorMessage(error),
      hint: 'apt-get install bubblewrap (and util-linux for setpriv)',
    };
  }
  const probe = probeUser ?? { uid: 65534, gid: 65534 };
  const argv = [
    ...(resolved.setpriv
      ? [resolved.setpriv, `--reuid=${probe.uid}`, `--regid=${probe.gid}`, '--clear-groups', '--']
      : []),
    resolved.bwrap,
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--ro-bind',
    path.join(resolved.tree, 'usr'),
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--proc',
    '/proc',
    '/usr/bin/node',
    '-e',
    '0',
  ];
  const [file, ...args] = argv as [string, ...string[]];
  const result = await runCommand(file, args, { env: {}, timeoutMs: 10_000 });
  if (result.code === 0) {
    return {
      ok: true,
      detail: `bubblewrap at ${resolved.bwrap}${isRoot ? ' (launched via setpriv as a non-root uid)' : ''}`,
    };
  }
  const stderr = result.stderr.trim();
  return {
    ok: false,
    reason: `bwrap probe failed: ${result.error?.message ?? (stderr || `exit ${result.code}`)}`,
    hint: /uid map|Permission denied|Operation not permitted/.test(stderr)
      ? 'unprivileged user namespaces are blocked (Ubuntu 23.10+: sysctl kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap)'
      : 'check that bubblewrap works: bwrap --unshare-all --ro-bind / / /bin/true',
  };
}

/** A userland tree must be a real directory with usr, etc and var and a node in usr/bin; returns its realpath. */
async function checkRootfs(rootfs: string): Promise<string> {
  if (!path.isAbsolute(rootfs))
    throw new SandboxError('invalid-argument', `rootfs ${rootfs} must be an absolute path`);
  const real = await fs.realpath(rootfs).catch(() => undefined);
  const missing: string[] = [];
  for (const part of ['usr', 'etc', 'var', 'usr/bin/node']) {
    const stat = real ? await fs.stat(path.join(real, part)).catch(() => undefined) : undefined;
    if (!stat) missing.push(part);
  }
  if (!real || missing.length > 0) {
    throw new SandboxError(
      'runtime-unavailable',
      `the sandbox userland ${rootfs} is incomplete (missing ${missing.join(', ') || 'the folder'}); rebuild it with nanoclaw sandbox image build`,
    );
  }
  return real;
}

function writeFd(stream: unknown, data: string): void {
  const writable = stream as Writable | null | undefined;
  if (!writable || typeof writable.end !== 'function') throw new Error('launcher fd is not a pipe');
  writable.on('error', () => {});
  writable.end(data);
}
