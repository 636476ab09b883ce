import { describe, expect, it } from 'vitest';
import { sampleSpec, sampleSpecRunTail } from '../test-utils/spec.js';
import {
  buildDockerRunArgs,
  dockerClientEnv,
  homeParentsOfMounts,
  isClientReservedEnvKey,
  parseDockerInspect,
} from './docker.js';

describe('buildDockerRunArgs', () => {
  it('builds a hardened run with secrets passed by name only', () => {
    const { args, envByName } = buildDockerRunArgs(sampleSpec());
    expect(args).toEqual([
      'run',
      '--rm',
      '-i',
      '--sig-proxy=false',
      '--name',
      'nanoclaw-family-0a1b2c3d-beef',
      '--pull',
      'never',
      '--label',
      'nanoclaw.install=i1',
      '--label',
      'nanoclaw.group=family',
      '--label',
      'nanoclaw.session=s1',
      '--network',
      'none',
      '--init',
      '--read-only',
      '--user',
      '1000:1001',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--pids-limit',
      '256',
      '--memory',
      '512m',
      '--memory-swap',
      '512m',
      '--cpus',
      '1.5',
      '--log-driver',
      'none',
      '--tmpfs',
      '/tmp:rw,nosuid,nodev,size=512m,mode=1777',
      '--tmpfs',
      '/home/agent:rw,nosuid,nodev,size=256m,uid=1000,gid=1001,mode=0700',
      ...sampleSpecRunTail('-e'),
    ]);
    expect(envByName).toEqual({ LANG: 'C.UTF-8', OPENAI_API_KEY: 'sk-secret' });
    expect(args.join(' ')).not.toContain('sk-secret');
  });

  it('uses the default network for full, and takes options', () => {
    const { args } = buildDockerRunArgs(sampleSpec({ network: 'full' }), {
      init: false,
      pull: 'missing',
      tmpfsMb: { tmp: 64, home: 32 },
      extraRunArgs: ['--ulimit', 'nofile=4096:4096'],
    });
    expect(args).not.toContain('--network');
    expect(args).not.toContain('--init');
    expect(args).toContain('missing');
    expect(args).toContain('/tmp:rw,nosuid,nodev,size=64m,mode=1777');
    expect(args.slice(-5)).toEqual([
      '--ulimit',
      'nofile=4096:4096',
      'nanoclaw/agent-runner:1',
      '/usr/bin/node',
      '/app/main.js',
    ]);
  });

  it('quotes mount fields with commas, and refuses specs it cannot run', () => {
    const spec = sampleSpec({
      mounts: [{ hostPath: '/srv/a,b', containerPath: '/workspace/x', readonly: true }],
    });
    expect(buildDockerRunArgs(spec).args).toContain(
      'type=bind,"source=/srv/a,b",target=/workspace/x,readonly',
    );
    expect(() => buildDockerRunArgs(sampleSpec({ image: undefined }))).toThrow(/image/);
    expect(() => buildDockerRunArgs(sampleSpec({ user: { uid: 0, gid: 0 } }))).toThrow(/non-root/);
    expect(() => buildDockerRunArgs(sampleSpec({ name: '../evil' }))).toThrow(/name/);
    expect(() => buildDockerRunArgs(sampleSpec({ command: [] }))).toThrow(/command/);
  });
});

describe('homeParentsOfMounts', () => {
  it('gives every folder between HOME and a mount inside it its own tmpfs, parents first', () => {
    const mounts = [
      { containerPath: '/home/agent/.local/share/opencode' },
      { containerPath: '/home/agent/.codex' },
      { containerPath: '/workspace/group' },
    ];
    expect(homeParentsOfMounts(mounts, '/home/agent')).toEqual([
      '/home/agent/.local',
      '/home/agent/.local/share',
    ]);
    const { args } = buildDockerRunArgs(
      sampleSpec({
        mounts: [{ hostPath: '/srv/o', containerPath: '/home/agent/.local/share/opencode', readonly: false }],
      }),
    );
    const text = args.join(' ');
    expect(text).toContain(
      '--tmpfs /home/agent/.local:rw,nosuid,nodev,size=256m,uid=1000,gid=1001,mode=0700',
    );
    expect(text.indexOf('--tmpfs /home/agent/.local:')).toBeLessThan(
      text.indexOf('--tmpfs /home/agent/.local/share:'),
    );
  });
});

describe('docker helpers', () => {
  it('keeps only the CLI settings from the host env', () => {
    expect(
      dockerClientEnv({
        PATH: '/bin',
        HOME: '/root',
        DOCKER_HOST: 'unix:///x',
        OPENAI_API_KEY: 'sk',
        XDG_RUNTIME_DIR: '/run/user/1',
      }),
    ).toEqual({ PATH: '/bin', HOME: '/root', DOCKER_HOST: 'unix:///x', XDG_RUNTIME_DIR: '/run/user/1' });
    expect(isClientReservedEnvKey('DOCKER_CONFIG')).toBe(true);
    expect(isClientReservedEnvKey('ANTHROPIC_API_KEY')).toBe(false);
  });

  it('parses docker and podman inspect output', () => {
    const json = JSON.stringify([
      { Name: '/a', Config: { Labels: { 'nanoclaw.install': 'i' } }, State: { Running: true } },
      { Name: 'b', Config: { Labels: null }, State: { Running: false } },
      { nope: true },
    ]);
    expect(parseDockerInspect(json)).toEqual([
      { name: 'a', labels: { 'nanoclaw.install': 'i' }, running: true },
      { name: 'b', labels: {}, running: false },
    ]);
    expect(parseDockerInspect('not json')).toEqual([]);
  });
});
