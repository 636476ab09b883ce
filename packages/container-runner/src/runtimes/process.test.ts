import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLogger, collect, makeScratchDir } from '../test-utils/sandbox-test-env.js';
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

  it('shows every mount under HOME where a program finds it through HOME, and keeps what it writes there', async () => {
    const root = await makeScratchDir('process-home');
    try {
      const codex = path.join(root, 'sessions/s1/home/.codex');
      const opencode = path.join(root, 'sessions/s1/home/.local/share/opencode');
      const nested = path.join(root, 'nested');
      for (const dir of [codex, opencode, nested]) await fs.mkdir(dir, { recursive: true });
      // What a provider does: find its state dir from HOME, not from a path it was given.
      const script = [
        "const fs = require('node:fs'); const path = require('node:path'); const home = process.env.HOME;",
        "fs.writeFileSync(path.join(home, '.codex', 'rollout.jsonl'), 'thread-1');",
        "fs.writeFileSync(path.join(home, '.local/share/opencode', 'opencode.db'), 'db');",
        "fs.writeFileSync(path.join(home, '.bash_history'), 'scratch');",
        'process.stdout.write(home);',
      ].join('\n');
      const logger = captureLogger();
      const runtime = createProcessRuntime({ unsafeAllowNoIsolation: true, logger });
      const proc = await runtime.spawn({
        name: 'nc-process-home',
        command: ['node', '-e', script],
        cwd: '/',
        env: { HOME: '/home/agent' },
        mounts: [
          { hostPath: codex, containerPath: '/home/agent/.codex', readonly: false },
          { hostPath: opencode, containerPath: '/home/agent/.local/share/opencode', readonly: false },
          { hostPath: nested, containerPath: '/home/agent/.codex/nested', readonly: true },
        ],
        network: 'none',
        limits: { memoryMb: 64, cpus: 1, pids: 16 },
        labels: {},
        user: { uid: 1000, gid: 1000 },
      });
      proc.stdin.end();
      const home = (await collect(proc.stdout)).join('');
      expect((await proc.exited).code).toBe(0);
      expect(await fs.readFile(path.join(codex, 'rollout.jsonl'), 'utf8')).toBe('thread-1');
      expect(await fs.readFile(path.join(opencode, 'opencode.db'), 'utf8')).toBe('db');
      // HOME itself is a scratch folder, gone with the sandbox; the mounted folders keep their files.
      await expect(fs.stat(home)).rejects.toThrow(/ENOENT/);
      expect(await fs.readdir(codex)).toEqual(['rollout.jsonl']);
      expect(
        logger.entries.some((e) => e.level === 'warn' && /inside another mount/.test(e.message ?? '')),
      ).toBe(true);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
