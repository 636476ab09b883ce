import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  CONTAINER_RUNTIME_SPEC_VERSION,
  type ContainerRuntime,
  type SandboxExit,
  type SandboxInfo,
  type SandboxProcess,
  type SandboxSpec,
} from '@nanoclaw/core';
import { runtimeContract } from './runtime-contract.js';

/** The smallest runtime that can pass the unisolated part of the contract: host processes, paths mapped by mount. */
function createHostProcessRuntime(): ContainerRuntime {
  const live = new Map<string, { spec: SandboxSpec; proc: SandboxProcess }>();
  const map = (value: string, spec: SandboxSpec) => {
    const mount = [...spec.mounts]
      .sort((a, b) => b.containerPath.length - a.containerPath.length)
      .find((m) => value === m.containerPath || value.startsWith(`${m.containerPath}/`));
    return mount ? path.join(mount.hostPath, value.slice(mount.containerPath.length)) : value;
  };
  return {
    specificationVersion: CONTAINER_RUNTIME_SPEC_VERSION,
    name: 'process',
    available: async () => ({ ok: true, detail: 'test' }),
    async spawn(spec) {
      const [, ...args] = spec.command;
      const child = spawn(
        process.execPath,
        args.map((a) => map(a, spec)),
        {
          env: { ...spec.env },
          cwd: map(spec.cwd, spec),
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<SandboxExit>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      void exited.then(() => live.delete(spec.name));
      const proc: SandboxProcess = {
        name: spec.name,
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        exited,
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      };
      live.set(spec.name, { spec, proc });
      return proc;
    },
    async list(labels) {
      const out: SandboxInfo[] = [];
      for (const [name, { spec }] of live) {
        if (Object.entries(labels).every(([k, v]) => spec.labels[k] === v))
          out.push({ name, labels: spec.labels, running: true });
      }
      return out;
    },
    async stop(name) {
      await live.get(name)?.proc.kill();
    },
  };
}

runtimeContract('host-process (self-test)', createHostProcessRuntime, {
  isolated: false,
  reapOrphans: async ({ runtime, installId, liveSessions }) => {
    const keep = new Set(liveSessions);
    const stopped: string[] = [];
    for (const s of await runtime.list({ 'nanoclaw.install': installId })) {
      if (keep.has(s.labels['nanoclaw.session'] ?? '')) continue;
      await runtime.stop(s.name);
      stopped.push(s.name);
    }
    return { stopped };
  },
});
