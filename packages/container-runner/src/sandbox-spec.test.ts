import { describe, expect, it } from 'vitest';
import { SANDBOX_NAME_PATTERN } from './runtimes/spec-checks.js';
import { buildSandboxSpec, defaultSandboxUser, runnerAppMount, sandboxName } from './sandbox-spec.js';

describe('buildSandboxSpec', () => {
  it('assembles a labelled spec with the runner command', () => {
    const spec = buildSandboxSpec({
      installId: 'inst',
      groupFolder: 'Family_Chat',
      sessionId: 'sess-1',
      image: 'img',
      env: { HOME: '/home/agent' },
      mounts: [runnerAppMount('/opt/runner/dist')],
      network: 'none',
      limits: { memoryMb: 512, cpus: 1, pids: 128 },
      user: { uid: 1000, gid: 1000 },
    });
    expect(spec).toMatchObject({
      image: 'img',
      command: ['/usr/bin/node', '/app/main.js'],
      cwd: '/workspace/group',
      labels: { 'nanoclaw.install': 'inst', 'nanoclaw.group': 'Family_Chat', 'nanoclaw.session': 'sess-1' },
      mounts: [{ hostPath: '/opt/runner/dist', containerPath: '/app', readonly: true }],
    });
    expect(spec.name).toMatch(SANDBOX_NAME_PATTERN);
    expect(spec.name).toMatch(/^nanoclaw-family_chat-[0-9a-f]{8}-[0-9a-f]{4}$/);
  });

  it('names are stable per session apart from the random suffix, and users are never root', () => {
    const ids = { installId: 'i', groupFolder: 'g', sessionId: 's' };
    expect(sandboxName(ids, 'aaaa').slice(0, -4)).toBe(sandboxName(ids, 'bbbb').slice(0, -4));
    expect(defaultSandboxUser().uid).not.toBe(0);
  });
});
