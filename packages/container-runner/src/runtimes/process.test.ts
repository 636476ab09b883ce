import { describe, expect, it } from 'vitest';
import { captureLogger, collect } from '../test-utils/sandbox-test-env.js';
import { createProcessRuntime, translateSandboxPath } from './process.js';

describe('process runtime', () => {
  it('refuses to exist without the explicit opt-in', () => {
    expect(() => createProcessRuntime()).toThrow(/unsafeAllowNoIsolation/);
    expect(() => createProcessRuntime({ unsafeAllowNoIsolation: false })).toThrow();
  });

  it('maps sandbox paths to the mounted host paths, longest match first', () => {
    const mounts = [
      { hostPath: '/srv/group', containerPath: '/workspace/group' },
      { hostPath: '/srv/codex', containerPath: '/home/agent/.codex' },
      { hostPath: '/srv/home', containerPath: '/home/agent' },
    ];
    expect(translateSandboxPath('/workspace/group', mounts)).toBe('/srv/group');
    expect(translateSandboxPath('/workspace/group/a/b', mounts)).toBe('/srv/group/a/b');
    expect(translateSandboxPath('/home/agent/.codex/auth.json', mounts)).toBe('/srv/codex/auth.json');
    expect(translateSandboxPath('/home/agent/x', mounts)).toBe('/srv/home/x');
    expect(translateSandboxPath('/workspace/groupie', mounts)).toBe('/workspace/groupie');
    expect(translateSandboxPath('relative', mounts)).toBe('relative');
  });

  it('warns on every spawn and passes only the spec env', async () => {
    const logger = captureLogger();
    const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true, logger });
    process.env.NANOCLAW_PROCESS_TEST_SECRET = 'leak?';
    try {
      const proc = await runtime.spawn({
        name: 'nc-process-env',
        command: ['node', '-e', 'process.stdout.write(JSON.stringify(process.env))'],
        cwd: '/',
        env: { A: '1', HOME: '/home/agent' },
        mounts: [],
        network: 'none',
        limits: { memoryMb: 64, cpus: 1, pids: 16 },
        labels: {},
        user: { uid: 1000, gid: 1000 },
      });
      proc.stdin.end();
      const out = (await collect(proc.stdout)).join('');
      await proc.exited;
      const env = JSON.parse(out) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(['A', 'HOME']);
      expect(env.HOME).not.toBe('/home/agent');
      expect(
        logger.entries.filter((e) => e.level === 'warn' && /WITHOUT isolation/.test(e.message ?? '')),
      ).toHaveLength(1);
    } finally {
      delete process.env.NANOCLAW_PROCESS_TEST_SECRET;
    }
  });
});
