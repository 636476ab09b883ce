import { describe, expect, it } from 'vitest';
import { buildPrlimitArgs, planCgroupV1, planCgroupV2 } from './limits.js';

const limits = { memoryMb: 256, cpus: 0.5, pids: 64 };

describe('cgroup plans', () => {
  it('v1: memory, pids and cpu controllers, each joined', () => {
    const plan = planCgroupV1('/sys/fs/cgroup', 'nanoclaw', 'sbx', limits);
    expect(plan.dirs).toEqual([
      '/sys/fs/cgroup/memory/nanoclaw/sbx',
      '/sys/fs/cgroup/pids/nanoclaw/sbx',
      '/sys/fs/cgroup/cpu/nanoclaw/sbx',
    ]);
    expect(plan.writes.filter((w) => !w.optional)).toEqual([
      { file: '/sys/fs/cgroup/memory/nanoclaw/sbx/memory.limit_in_bytes', value: String(256 * 1024 * 1024) },
      { file: '/sys/fs/cgroup/pids/nanoclaw/sbx/pids.max', value: '64' },
      { file: '/sys/fs/cgroup/cpu/nanoclaw/sbx/cpu.cfs_period_us', value: '100000' },
      { file: '/sys/fs/cgroup/cpu/nanoclaw/sbx/cpu.cfs_quota_us', value: '50000' },
    ]);
    expect(plan.procs).toHaveLength(3);
    expect(plan.applied).toMatchObject({
      mechanism: 'cgroup-v1',
      memoryBytes: 268435456,
      pids: 64,
      cpuQuotaUs: 50000,
    });
  });
  it('v2: one directory with memory.max, pids.max and cpu.max', () => {
    const plan = planCgroupV2('/sys/fs/cgroup', 'nanoclaw', 'sbx', limits);
    expect(plan.dirs).toEqual(['/sys/fs/cgroup/nanoclaw/sbx']);
    expect(plan.writes.map((w) => [w.file.split('/').pop(), w.value])).toEqual([
      ['cgroup.subtree_control', '+memory +pids +cpu'],
      ['memory.max', '268435456'],
      ['memory.swap.max', '0'],
      ['pids.max', '64'],
      ['cpu.max', '50000 100000'],
    ]);
  });
});

describe('buildPrlimitArgs', () => {
  it('bounds address space, and processes only with a dedicated uid; says what it cannot do', () => {
    const dedicated = buildPrlimitArgs(limits, { nproc: true });
    expect(dedicated.args).toEqual([`--as=${4096 * 1024 * 1024}`, '--nproc=64']);
    expect(dedicated.applied.pids).toBe(64);
    const shared = buildPrlimitArgs({ ...limits, memoryMb: 2048 }, { nproc: false });
    expect(shared.args).toEqual([`--as=${8192 * 1024 * 1024}`]);
    expect(shared.applied.notApplied.join(' ')).toMatch(/cpu.*memory.*pids/);
  });
});
