import { runtimeContract } from '@nanoclaw/testing';
import { expect } from 'vitest';
import { reapOrphans } from './reaper.js';
import type { BwrapSandboxProcess } from './runtimes/bwrap.js';
import { readCgroupLimits } from './runtimes/limits.js';
import { createProcessRuntime } from './runtimes/process.js';
import {
  bwrapAvailability,
  dockerAvailability,
  ensureTestImage,
  TEST_IMAGE,
  testBwrapRuntime,
  testDockerRuntime,
} from './test-utils/sandbox-test-env.js';

runtimeContract('process', () => createProcessRuntime({ unsafeAllowNoIsolation: true }), {
  isolated: false,
  reapOrphans,
});

runtimeContract('bwrap', testBwrapRuntime, {
  availability: bwrapAvailability,
  allowedExtraEnv: ['PWD'],
  reapOrphans,
  readLimits: async (proc) => {
    const { limits } = proc as BwrapSandboxProcess;
    if (limits.mechanism !== 'cgroup-v1' && limits.mechanism !== 'cgroup-v2') {
      // prlimit (no writable cgroup, e.g. not root): only RLIMIT_NPROC maps onto the contract's fields.
      console.warn(
        `[runtime contract: bwrap] limits via ${limits.mechanism}; not applied: ${limits.notApplied.join('; ')}`,
      );
      return { ...(limits.pids !== undefined ? { pids: limits.pids } : {}) };
    }
    // Root here: cgroups must have been used, and the contract below checks every value.
    expect(limits.notApplied).toEqual([]);
    // Read the values back from the kernel, not from what we meant to write.
    const actual = await readCgroupLimits({
      version: limits.mechanism === 'cgroup-v1' ? 'v1' : 'v2',
      dirs: limits.cgroupDirs ?? [],
    });
    const memory = Number(actual['memory.limit_in_bytes'] ?? actual['memory.max']);
    const pids = Number(actual['pids.max']);
    const [quota, period] = actual['cpu.max']
      ? (actual['cpu.max'].split(' ').map(Number) as [number, number])
      : [Number(actual['cpu.cfs_quota_us']), Number(actual['cpu.cfs_period_us'])];
    return { memoryBytes: memory, pids, nanoCpus: Math.round((quota / period) * 1e9) };
  },
});

runtimeContract('docker', testDockerRuntime, {
  availability: async () => {
    const availability = await dockerAvailability();
    if (availability.ok) await ensureTestImage();
    return availability;
  },
  image: TEST_IMAGE,
  allowedExtraEnv: ['HOSTNAME'],
  reapOrphans,
  readLimits: async (proc) => {
    const info = (await testDockerRuntime().inspect(proc.name)) as {
      HostConfig: {
        Memory: number;
        MemorySwap: number;
        NanoCpus: number;
        PidsLimit: number;
        ReadonlyRootfs: boolean;
        CapDrop: string[];
        SecurityOpt: string[];
      };
      Config: { User: string };
    } | null;
    if (!info) throw new Error(`container ${proc.name} not found`);
    expect(info.HostConfig.MemorySwap).toBe(info.HostConfig.Memory);
    return {
      memoryBytes: info.HostConfig.Memory,
      nanoCpus: info.HostConfig.NanoCpus,
      pids: info.HostConfig.PidsLimit,
      readonlyRootfs: info.HostConfig.ReadonlyRootfs,
      capDrop: info.HostConfig.CapDrop,
      securityOpt: info.HostConfig.SecurityOpt,
      user: info.Config.User,
    };
  },
  assertGone: async (name) => {
    expect(await testDockerRuntime().inspect(name)).toBeNull();
  },
});
