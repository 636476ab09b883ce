import type { SandboxSpec } from '@nanoclaw/core';

/** A representative spec for argv builder tests. */
export function sampleSpec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    name: 'nanoclaw-family-0a1b2c3d-beef',
    image: 'nanoclaw/agent-runner:1',
    command: ['/usr/bin/node', '/app/main.js'],
    cwd: '/workspace/group',
    env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', OPENAI_API_KEY: 'sk-secret' },
    mounts: [
      {
        hostPath: '/srv/nc/data/sessions/s1/home/.codex',
        containerPath: '/home/agent/.codex',
        readonly: false,
      },
      { hostPath: '/srv/nc/groups/family', containerPath: '/workspace/group', readonly: false },
      { hostPath: '/srv/nc/groups/global', containerPath: '/workspace/global', readonly: true },
    ],
    network: 'none',
    limits: { memoryMb: 512, cpus: 1.5, pids: 256 },
    labels: { 'nanoclaw.install': 'i1', 'nanoclaw.group': 'family', 'nanoclaw.session': 's1' },
    user: { uid: 1000, gid: 1001 },
    ...overrides,
  };
}

/**
 * The end of a `docker run` / `container run` argv for `sampleSpec()`: its env (secrets by name), mounts, workdir,
 * image and command. `envFlag` is the CLI's env flag (`-e`, `--env`).
 */
export function sampleSpecRunTail(envFlag: string): string[] {
  return [
    ...[
      envFlag,
      'HOME=/home/agent',
      envFlag,
      'PATH=/usr/bin:/bin',
      envFlag,
      'LANG',
      envFlag,
      'OPENAI_API_KEY',
    ],
    '--mount',
    'type=bind,source=/srv/nc/data/sessions/s1/home/.codex,target=/home/agent/.codex',
    '--mount',
    'type=bind,source=/srv/nc/groups/family,target=/workspace/group',
    '--mount',
    'type=bind,source=/srv/nc/groups/global,target=/workspace/global,readonly',
    '--workdir',
    '/workspace/group',
    'nanoclaw/agent-runner:1',
    '/usr/bin/node',
    '/app/main.js',
  ];
}
