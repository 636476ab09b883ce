import { describe, expect, it } from 'vitest';
import { sampleSpec } from '../test-utils/spec.js';
import { BWRAP_ARGS_FD, buildBwrapArgs } from './bwrap.js';

describe('buildBwrapArgs', () => {
  const options = { runtimeTree: '/var/cache/nc/node-abc', bwrapPath: '/usr/bin/bwrap' };

  it('keeps host paths and env out of argv: everything goes through the args fd', () => {
    const spec = sampleSpec();
    const { argv, fdArgs } = buildBwrapArgs(spec, { ...options, setprivPath: '/usr/bin/setpriv' });
    expect(argv).toEqual([
      '/usr/bin/setpriv',
      '--reuid=1000',
      '--regid=1001',
      '--clear-groups',
      '--',
      '/usr/bin/bwrap',
      '--args',
      String(BWRAP_ARGS_FD),
      '--',
      '/usr/bin/node',
      '/app/main.js',
    ]);
    expect(argv.join(' ')).not.toMatch(/srv|sk-secret|node-abc/);
    expect(fdArgs.slice(0, 14)).toEqual([
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--uid',
      '1000',
      '--gid',
      '1001',
      '--hostname',
      'nanoclaw',
      '--clearenv',
      '--setenv',
      'HOME',
    ]);
    expect(fdArgs).toContain('sk-secret');
    expect(fdArgs).not.toContain('--share-net');
  });

  it('binds the runtime tree, tmpfs /tmp and HOME, then the mounts parents first, then makes / read-only', () => {
    const { fdArgs } = buildBwrapArgs(sampleSpec(), options);
    const text = fdArgs.join(' ');
    expect(text).toContain(
      '--ro-bind /var/cache/nc/node-abc/usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64',
    );
    expect(text).toContain('--tmpfs /tmp --perms 0700 --tmpfs /home/agent');
    const group = text.indexOf('--bind /srv/nc/groups/family /workspace/group');
    const global = text.indexOf('--ro-bind /srv/nc/groups/global /workspace/global');
    const codex = text.indexOf('--bind /srv/nc/data/sessions/s1/home/.codex /home/agent/.codex');
    expect(group).toBeGreaterThan(text.indexOf('--tmpfs /home/agent'));
    expect(codex).toBeGreaterThan(group);
    expect(global).toBeGreaterThan(0);
    expect(fdArgs.slice(-4)).toEqual(['--remount-ro', '/', '--chdir', '/workspace/group']);
  });

  it('shares the network and name resolution files only for full', () => {
    const { fdArgs } = buildBwrapArgs(sampleSpec({ network: 'full' }), options);
    expect(fdArgs).toContain('--share-net');
    expect(fdArgs.join(' ')).toContain('--ro-bind-try /etc/resolv.conf /etc/resolv.conf');
  });

  it('puts prlimit in front when limits come from rlimits, and writes passwd/group for the uid', () => {
    const { argv, passwd, group } = buildBwrapArgs(sampleSpec(), {
      ...options,
      prlimit: { path: '/usr/bin/prlimit', args: ['--as=1'] },
    });
    expect(argv.slice(0, 4)).toEqual(['/usr/bin/prlimit', '--as=1', '--', '/usr/bin/bwrap']);
    expect(passwd).toContain('agent:x:1000:1001:agent:/home/agent:/bin/sh');
    expect(group).toContain('agent:x:1001:');
  });

  it('runs on a userland root when the spec has one: its usr, etc and var read-only, bash as the shell', () => {
    const { fdArgs, passwd } = buildBwrapArgs(
      sampleSpec({ rootfs: '/var/cache/nc/userland-1/tree' }),
      options,
    );
    const text = fdArgs.join(' ');
    expect(text).toContain(
      '--ro-bind /var/cache/nc/userland-1/tree/usr /usr --ro-bind /var/cache/nc/userland-1/tree/etc /etc --ro-bind /var/cache/nc/userland-1/tree/var /var --tmpfs /var/tmp --symlink usr/bin /bin',
    );
    expect(text).not.toContain('node-abc');
    // passwd and group are still written for the sandbox's own uid, over the userland's.
    expect(text.indexOf('--ro-bind-data')).toBeGreaterThan(text.indexOf('/etc --ro-bind'));
    expect(passwd).toContain('agent:x:1000:1001:agent:/home/agent:/bin/bash');
  });
});
