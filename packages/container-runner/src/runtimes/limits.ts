import fs from 'node:fs/promises';
import path from 'node:path';
import type { ResourceLimits } from '@nanoclaw/core';

/** What a bwrap sandbox actually got; reported on the process as `limits`. */
export interface AppliedLimits {
  mechanism: 'cgroup-v1' | 'cgroup-v2' | 'prlimit' | 'none';
  /** Hard memory limit (cgroups). */
  memoryBytes?: number;
  /** Max tasks (cgroups: processes + threads) or processes of the uid (prlimit). */
  pids?: number;
  /** CPU bandwidth: quota per period, in microseconds (cgroups). */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** RLIMIT_AS (prlimit): a coarse memory bound, V8 reserves address space generously. */
  addressSpaceBytes?: number;
  /** Limits asked for but not enforced here, with why. */
  notApplied: string[];
  /** The cgroup directories (removed after exit). */
  cgroupDirs?: string[];
}

export interface CgroupWrite {
  file: string;
  value: string;
  /** A missing file (e.g. memsw without swap accounting) is not an error. */
  optional?: boolean;
}

export interface CgroupPlan {
  version: 'v1' | 'v2';
  dirs: string[];
  writes: CgroupWrite[];
  /** Files the launcher's pid is written to (before it starts the sandbox). */
  procs: string[];
  applied: AppliedLimits;
}

export const CPU_PERIOD_US = 100_000;

function cpuQuota(limits: ResourceLimits): number {
  return Math.max(1_000, Math.round(limits.cpus * CPU_PERIOD_US));
}

/** cgroup v1: one directory per controller (memory, pids, cpu) under `<root>/<controller>/<parent>/<name>`. Pure. */
export function planCgroupV1(root: string, parent: string, name: string, limits: ResourceLimits): CgroupPlan {
  const dir = (controller: string) => path.join(root, controller, parent, name);
  const memory = limits.memoryMb * 1024 * 1024;
  const quota = cpuQuota(limits);
  return {
    version: 'v1',
    dirs: [dir('memory'), dir('pids'), dir('cpu')],
    writes: [
      { file: path.join(dir('memory'), 'memory.limit_in_bytes'), value: String(memory) },
      {
        file: path.join(dir('memory'), 'memory.memsw.limit_in_bytes'),
        value: String(memory),
        optional: true,
      },
      { file: path.join(dir('memory'), 'memory.swappiness'), value: '0', optional: true },
      { file: path.join(dir('pids'), 'pids.max'), value: String(limits.pids) },
      { file: path.join(dir('cpu'), 'cpu.cfs_period_us'), value: String(CPU_PERIOD_US) },
      { file: path.join(dir('cpu'), 'cpu.cfs_quota_us'), value: String(quota) },
    ],
    procs: [dir('memory'), dir('pids'), dir('cpu')].map((d) => path.join(d, 'cgroup.procs')),
    applied: {
      mechanism: 'cgroup-v1',
      memoryBytes: memory,
      pids: limits.pids,
      cpuQuotaUs: quota,
      cpuPeriodUs: CPU_PERIOD_US,
      notApplied: [],
      cgroupDirs: [dir('memory'), dir('pids'), dir('cpu')],
    },
  };
}

/** cgroup v2: one directory `<root>/<parent>/<name>` (the parent must delegate memory, pids and cpu). Pure. */
export function planCgroupV2(root: string, parent: string, name: string, limits: ResourceLimits): CgroupPlan {
  const parentDir = path.join(root, parent);
  const dir = path.join(parentDir, name);
  const memory = limits.memoryMb * 1024 * 1024;
  const quota = cpuQuota(limits);
  return {
    version: 'v2',
    dirs: [dir],
    writes: [
      { file: path.join(parentDir, 'cgroup.subtree_control'), value: '+memory +pids +cpu' },
      { file: path.join(dir, 'memory.max'), value: String(memory) },
      { file: path.join(dir, 'memory.swap.max'), value: '0', optional: true },
      { file: path.join(dir, 'pids.max'), value: String(limits.pids) },
      { file: path.join(dir, 'cpu.max'), value: `${quota} ${CPU_PERIOD_US}` },
    ],
    procs: [path.join(dir, 'cgroup.procs')],
    applied: {
      mechanism: 'cgroup-v2',
      memoryBytes: memory,
      pids: limits.pids,
      cpuQuotaUs: quota,
      cpuPeriodUs: CPU_PERIOD_US,
      notApplied: [],
      cgroupDirs: [dir],
    },
  };
}

/**
 * `prlimit` arguments (a prefix before the launcher) when no cgroup is writable. Pure.
 * RLIMIT_NPROC counts all processes of the sandbox's host uid, so it only works with a dedicated uid and not
 * for root; RLIMIT_AS bounds address space, not memory; CPU bandwidth has no rlimit.
 */
export function buildPrlimitArgs(
  limits: ResourceLimits,
  options: { nproc: boolean },
): { args: string[]; applied: AppliedLimits } {
  // V8 and glibc arenas reserve far more address space than they use: allow 4x (at least 4 GiB).
  const addressSpace = Math.max(limits.memoryMb * 4, 4096) * 1024 * 1024;
  const args = [`--as=${addressSpace}`];
  const notApplied = [
    'cpu: no rlimit for CPU bandwidth',
    'memory: only address space (RLIMIT_AS) is bounded',
  ];
  if (options.nproc) args.push(`--nproc=${limits.pids}`);
  else notApplied.push('pids: RLIMIT_NPROC is ignored for root and shared uids');
  return {
    args,
    applied: {
      mechanism: 'prlimit',
      addressSpaceBytes: addressSpace,
      ...(options.nproc ? { pids: limits.pids } : {}),
      notApplied,
    },
  };
}

export type CgroupSupport = { version: 'v1' | 'v2'; root: string } | null;

/** Which cgroup hierarchy this process can create sandboxes in (memory, pids and cpu all writable), if any. */
export async function detectCgroupSupport(root = '/sys/fs/cgroup'): Promise<CgroupSupport> {
  const v2Controllers = await fs.readFile(path.join(root, 'cgroup.controllers'), 'utf8').catch(() => null);
  if (v2Controllers !== null) {
    const have = v2Controllers.trim().split(/\s+/);
    if (['memory', 'pids', 'cpu'].every((c) => have.includes(c)) && (await writable(root)))
      return { version: 'v2', root };
    return null;
  }
  const v1 = await Promise.all(['memory', 'pids', 'cpu'].map((c) => writable(path.join(root, c))));
  return v1.every(Boolean) ? { version: 'v1', root } : null;
}

async function writable(dir: string): Promise<boolean> {
  return fs.access(dir, fs.constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** Creates the cgroup directories and writes the limits. */
export async function createCgroup(plan: CgroupPlan): Promise<void> {
  for (const dir of plan.dirs) await fs.mkdir(dir, { recursive: true });
  for (const write of plan.writes) {
    try {
      await fs.writeFile(write.file, write.value);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (write.optional && (code === 'ENOENT' || code === 'EACCES' || code === 'EINVAL' || code === 'EPERM'))
        continue;
      // v2: the subtree_control write fails when the parent already has it enabled or cannot delegate.
      if (write.file.endsWith('cgroup.subtree_control') && code === 'EBUSY') continue;
      throw error;
    }
  }
}

/** Moves a process into the cgroup (before it starts the sandbox, so every descendant inherits it). */
export async function joinCgroup(plan: CgroupPlan, pid: number): Promise<void> {
  for (const file of plan.procs) await fs.writeFile(file, String(pid));
}

/** SIGKILLs whatever is still in the cgroup, then removes its directories (retrying while they drain). */
export async function removeCgroup(plan: CgroupPlan): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let remaining = 0;
    for (const dir of plan.dirs) {
      const procs = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const pid of procs.split('\n').filter(Boolean)) {
        remaining++;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    let removed = 0;
    for (const dir of plan.dirs) {
      try {
        await fs.rmdir(dir);
        removed++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') removed++;
      }
    }
    if (removed === plan.dirs.length) return;
    await new Promise((resolve) => setTimeout(resolve, remaining > 0 ? 50 : 100));
  }
}

/** Reads the applied limits back from the cgroup files (for tests and `nanoclaw doctor`). */
export async function readCgroupLimits(
  plan: Pick<CgroupPlan, 'version' | 'dirs'>,
): Promise<Record<string, string>> {
  const files =
    plan.version === 'v1'
      ? ['memory.limit_in_bytes', 'pids.max', 'cpu.cfs_quota_us', 'cpu.cfs_period_us']
      : ['memory.max', 'pids.max', 'cpu.max'];
  const out: Record<string, string> = {};
  for (const file of files) {
    for (const dir of plan.dirs) {
      const value = await fs.readFile(path.join(dir, file), 'utf8').catch(() => null);
      if (value !== null) out[file] = value.trim();
    }
  }
  return out;
}
