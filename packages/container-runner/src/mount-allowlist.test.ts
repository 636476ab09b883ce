import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSandboxError } from './errors.js';
import {
  defaultMountAllowlistPath,
  EMPTY_MOUNT_ALLOWLIST,
  loadMountAllowlist,
  matchBlockedPattern,
  parseMountAllowlist,
  resolveAdditionalMounts,
} from './mount-allowlist.js';
import { makeScratchDir } from './test-utils/sandbox-test-env.js';

describe('parseMountAllowlist', () => {
  it('fills defaults', () => {
    expect(parseMountAllowlist({ allowedRoots: [{ path: '~/code' }] })).toEqual({
      allowedRoots: [{ path: '~/code', allowReadWrite: false }],
      blockedPatterns: [],
      nonMainReadOnly: true,
    });
  });
  it('refuses unknown keys, relative roots and wrong types', () => {
    for (const bad of [
      [],
      { allowedRoot: [] },
      { allowedRoots: [{ path: 'relative' }] },
      { allowedRoots: [{ path: '/x', allowReadWrite: 'yes' }] },
      { allowedRoots: [{ path: '/x', extra: 1 }] },
      { blockedPatterns: [''] },
      { nonMainReadOnly: 'no' },
    ]) {
      expect(() => parseMountAllowlist(bad), JSON.stringify(bad)).toThrow(/allowlist/);
    }
  });
});

describe('loadMountAllowlist', () => {
  it('treats a missing file as "nothing allowed" and a malformed one as an error', async () => {
    const dir = await makeScratchDir('allowlist-load');
    try {
      expect(await loadMountAllowlist(path.join(dir, 'missing.json'))).toEqual(EMPTY_MOUNT_ALLOWLIST);
      await fs.writeFile(path.join(dir, 'bad.json'), '{');
      const error = await loadMountAllowlist(path.join(dir, 'bad.json')).catch((e: unknown) => e);
      expect(isSandboxError(error, 'invalid-allowlist')).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  it('defaults to ~/.config/nanoclaw/mount-allowlist.json', () => {
    expect(defaultMountAllowlistPath({}, '/home/u')).toBe('/home/u/.config/nanoclaw/mount-allowlist.json');
    expect(defaultMountAllowlistPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe(
      '/cfg/nanoclaw/mount-allowlist.json',
    );
  });
});

describe('matchBlockedPattern', () => {
  it('matches path segments and multi-segment patterns', () => {
    const patterns = ['.ssh', 'credentials', '.config/nanoclaw'];
    expect(matchBlockedPattern('/home/u/.ssh/keys', patterns)).toBe('.ssh');
    expect(matchBlockedPattern('/home/u/aws-credentials.json', patterns)).toBe('credentials');
    expect(matchBlockedPattern('/home/u/.config/nanoclaw', patterns)).toBe('.config/nanoclaw');
    expect(matchBlockedPattern('/home/u/code/app', patterns)).toBeUndefined();
  });
});

describe('resolveAdditionalMounts', () => {
  let home: string;
  let project: string;
  let allowlistPath: string;
  beforeAll(async () => {
    const root = await makeScratchDir('allowlist');
    home = path.join(root, 'home');
    project = path.join(home, 'nanoclaw');
    allowlistPath = path.join(home, '.config/nanoclaw/mount-allowlist.json');
    for (const dir of [
      'code/app',
      'code/.ssh',
      'data/sets',
      'nanoclaw/groups',
      '.config/nanoclaw',
      'other',
    ]) {
      await fs.mkdir(path.join(home, dir), { recursive: true });
    }
    await fs.writeFile(path.join(home, 'code/.ssh/id_ed25519'), 'key');
    await fs.symlink(path.join(home, 'code/.ssh'), path.join(home, 'code/innocent'));
    await fs.symlink(path.join(home, 'other'), path.join(home, 'code/escape'));
  });
  afterAll(() => fs.rm(path.dirname(home), { recursive: true, force: true }));

  const resolve = (requested: Parameters<typeof resolveAdditionalMounts>[0], isMain = false) =>
    resolveAdditionalMounts(requested, {
      allowlist: parseMountAllowlist({
        allowedRoots: [
          { path: '~/code', allowReadWrite: true },
          { path: '~/data', allowReadWrite: false },
          { path: '~', allowReadWrite: false },
        ],
      }),
      isMain,
      allowlistPath,
      protectedPaths: [project],
      homeDir: home,
    });

  it('mounts an allowlisted folder under /workspace/extra, read-only for non-main groups', async () => {
    const result = await resolve([{ hostPath: '~/code/app', containerPath: 'app', readonly: false }]);
    expect(result.rejected).toEqual([]);
    expect(result.mounts).toEqual([
      {
        kind: 'extra',
        hostPath: await fs.realpath(path.join(home, 'code/app')),
        containerPath: '/workspace/extra/app',
        readonly: true,
        within: await fs.realpath(path.join(home, 'code')),
      },
    ]);
    expect(result.downgraded[0]?.reason).toMatch(/non-main/);
    const main = await resolve([{ hostPath: '~/code/app', containerPath: 'app', readonly: false }], true);
    expect(main.mounts[0]?.readonly).toBe(false);
    const data = await resolve([{ hostPath: '~/data/sets', containerPath: 'sets', readonly: false }], true);
    expect(data.mounts[0]?.readonly).toBe(true);
    expect(data.downgraded[0]?.reason).toMatch(/does not allow read-write/);
  });

  it('rejects blocked, protected, outside and malformed requests, with a reason each', async () => {
    const result = await resolve([
      { hostPath: '~/code/.ssh', containerPath: 'ssh', readonly: true },
      { hostPath: '~/code/innocent', containerPath: 'innocent', readonly: true },
      { hostPath: '~/nanoclaw/groups', containerPath: 'groups', readonly: true },
      { hostPath: '~/.config/nanoclaw', containerPath: 'cfg', readonly: true },
      { hostPath: '~', containerPath: 'home', readonly: true },
      { hostPath: '/etc', containerPath: 'etc', readonly: true },
      { hostPath: '~/code/missing', containerPath: 'missing', readonly: true },
      { hostPath: 'relative', containerPath: 'rel', readonly: true },
      { hostPath: '~/code/app', containerPath: '../escape', readonly: true },
      { hostPath: '~/code/app', containerPath: 'a:b', readonly: true },
    ]);
    expect(result.mounts).toEqual([]);
    const reasons = result.rejected.map((r) => r.reason);
    expect(reasons[0]).toMatch(/blocked pattern ".ssh"/);
    expect(reasons[1]).toMatch(/resolves to .*\.ssh/);
    expect(reasons[2]).toMatch(/protected path/);
    expect(reasons[3]).toMatch(/blocked pattern|protected/);
    expect(reasons[4]).toMatch(/home folder/);
    expect(reasons[5]).toMatch(/not under an allowed root/);
    expect(reasons[6]).toMatch(/ENOENT/);
    expect(reasons[7]).toMatch(/absolute/);
    expect(reasons[8]).toMatch(/container path/);
    expect(reasons[9]).toMatch(/container path/);
  });

  it('follows symlinks to their real place before deciding, and refuses duplicate targets', async () => {
    const result = await resolve([
      { hostPath: '~/code/escape', containerPath: 'x', readonly: true },
      { hostPath: '~/code/app', containerPath: 'x', readonly: true },
    ]);
    // ~/code/escape -> ~/other: only the ~ root covers it (read-only).
    expect(result.mounts[0]?.hostPath).toBe(await fs.realpath(path.join(home, 'other')));
    expect(result.rejected[0]?.reason).toMatch(/used twice/);
  });
});
