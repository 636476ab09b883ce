import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '@nanoclaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSandboxError } from './errors.js';
import { buildMounts, findShadowTargets, prepareShadowSources, verifyMounts } from './mounts.js';
import { makeScratchDir } from './test-utils/sandbox-test-env.js';

describe('buildMounts', () => {
  const base = { projectRoot: '/srv/nc', sessionId: 'sess-1', providerHomeDir: '.codex' };

  it('gives a non-main group its folder rw, global ro and the session provider home rw, nothing else', () => {
    expect(buildMounts({ ...base, groupFolder: 'family', isMain: false })).toEqual([
      {
        kind: 'group',
        hostPath: '/srv/nc/groups/family',
        containerPath: '/workspace/group',
        readonly: false,
        within: '/srv/nc/groups',
      },
      {
        kind: 'global',
        hostPath: '/srv/nc/groups/global',
        containerPath: '/workspace/global',
        readonly: true,
        within: '/srv/nc/groups',
      },
      {
        kind: 'provider-home',
        hostPath: '/srv/nc/data/sessions/sess-1/home/.codex',
        containerPath: '/home/agent/.codex',
        readonly: false,
        within: '/srv/nc/data/sessions/sess-1',
      },
    ]);
  });

  it('gives the main group the project read-only with its secrets shadowed', () => {
    const mounts = buildMounts({
      ...base,
      groupFolder: 'main',
      isMain: true,
      shadow: {
        targets: [
          { relPath: '.env', type: 'file' },
          { relPath: 'data', type: 'dir' },
        ],
        emptyFile: '/var/nc/empty-file',
        emptyDir: '/var/nc/empty-dir',
      },
    });
    expect(mounts.slice(3)).toEqual([
      {
        kind: 'project',
        hostPath: '/srv/nc',
        containerPath: '/workspace/project',
        readonly: true,
        within: '/srv/nc',
      },
      {
        kind: 'shadow',
        hostPath: '/var/nc/empty-file',
        containerPath: '/workspace/project/.env',
        readonly: true,
        within: '/var/nc',
      },
      {
        kind: 'shadow',
        hostPath: '/var/nc/empty-dir',
        containerPath: '/workspace/project/data',
        readonly: true,
        within: '/var/nc',
      },
    ]);
  });

  it('honours custom groups/data dirs and HOME', () => {
    const mounts = buildMounts({
      ...base,
      groupsDir: '/g',
      dataDir: '/d',
      home: '/root2',
      groupFolder: 'a',
      isMain: false,
    });
    expect(mounts.map((m) => [m.hostPath, m.containerPath])).toEqual([
      ['/g/a', '/workspace/group'],
      ['/g/global', '/workspace/global'],
      ['/d/sessions/sess-1/home/.codex', '/root2/.codex'],
    ]);
  });

  it('refuses bad folders, sessions, provider dirs and relative roots', () => {
    const bad = [
      { ...base, groupFolder: '../x', isMain: false },
      { ...base, groupFolder: 'global', isMain: false },
      { ...base, groupFolder: 'a', isMain: false, sessionId: '../../etc' },
      { ...base, groupFolder: 'a', isMain: false, providerHomeDir: '../.ssh' },
      { ...base, groupFolder: 'a', isMain: false, projectRoot: 'relative' },
      {
        ...base,
        groupFolder: 'main',
        isMain: true,
        shadow: { targets: [{ relPath: '../x', type: 'file' as const }], emptyFile: '/e', emptyDir: '/d' },
      },
    ];
    for (const options of bad) expect(() => buildMounts(options), JSON.stringify(options)).toThrow();
  });

  it('only takes additional mounts under /workspace/extra', () => {
    const extra = {
      kind: 'extra' as const,
      hostPath: '/data/x',
      containerPath: '/workspace/group/x',
      readonly: true,
      within: '/data',
    };
    expect(() =>
      buildMounts({ ...base, groupFolder: 'a', isMain: false, additionalMounts: [extra] }),
    ).toThrow(/extra/);
  });
});

describe('verifyMounts', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeScratchDir('verify-mounts');
    await fs.mkdir(path.join(root, 'groups/a/sub'), { recursive: true });
    await fs.mkdir(path.join(root, 'secret'));
    await fs.mkdir(path.join(root, 'real'));
    await fs.symlink(path.join(root, 'real'), path.join(root, 'link'));
    await fs.symlink(path.join(root, 'secret'), path.join(root, 'groups/a/evil'));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  const refused = async (promise: Promise<unknown>, pattern: RegExp) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSandboxError(error, 'mount-refused'), String(error)).toBe(true);
    expect(errorMessage(error)).toMatch(pattern);
  };

  it('returns canonical host paths (what is bound is what was checked)', async () => {
    const [mount] = await verifyMounts([
      { hostPath: path.join(root, 'link'), containerPath: '/workspace/x', readonly: true },
    ]);
    expect(mount?.hostPath).toBe(await fs.realpath(path.join(root, 'real')));
  });

  it('refuses a path that resolves outside its root', async () => {
    await refused(
      verifyMounts([
        {
          hostPath: path.join(root, 'groups/a/evil'),
          containerPath: '/workspace/x',
          readonly: true,
          within: path.join(root, 'groups/a'),
        },
      ]),
      /outside/,
    );
  });

  it('refuses a bind source inside a sandbox-writable folder, declared or resolved', async () => {
    const group = {
      hostPath: path.join(root, 'groups/a'),
      containerPath: '/workspace/group',
      readonly: false,
    };
    await refused(
      verifyMounts([
        group,
        { hostPath: path.join(root, 'groups/a/sub'), containerPath: '/workspace/sub', readonly: true },
      ]),
      /sandbox-writable/,
    );
    await refused(
      verifyMounts(
        [{ hostPath: path.join(root, 'groups/a/sub'), containerPath: '/workspace/sub', readonly: true }],
        {
          writableRoots: [path.join(root, 'groups/a')],
        },
      ),
      /sandbox-writable/,
    );
    // A ro project root containing the rw group folder is fine (the reverse nesting).
    await expect(
      verifyMounts([group, { hostPath: root, containerPath: '/workspace/project', readonly: true }]),
    ).resolves.toHaveLength(2);
  });

  it('refuses missing sources, reserved or duplicate targets and odd container paths', async () => {
    await refused(
      verifyMounts([{ hostPath: path.join(root, 'nope'), containerPath: '/workspace/x', readonly: true }]),
      /ENOENT/,
    );
    for (const containerPath of [
      '/usr/lib',
      '/proc',
      '/etc/passwd',
      '/',
      'relative',
      '/a/../b',
      '/a:b',
      '/a,b',
    ]) {
      await refused(verifyMounts([{ hostPath: root, containerPath, readonly: true }]), /container path/);
    }
    await refused(
      verifyMounts([
        { hostPath: root, containerPath: '/x', readonly: true },
        { hostPath: root, containerPath: '/x', readonly: true },
      ]),
      /two mounts/,
    );
    await refused(
      verifyMounts([{ hostPath: 'relative/path', containerPath: '/x', readonly: true }]),
      /absolute/,
    );
  });

  it("takes /usr/local, where a group's npm layer goes, and nothing else under /usr", async () => {
    await expect(
      verifyMounts([{ hostPath: root, containerPath: '/usr/local', readonly: true }]),
    ).resolves.toHaveLength(1);
    await refused(
      verifyMounts([{ hostPath: root, containerPath: '/usr/localx', readonly: true }]),
      /reserved/,
    );
  });
});

describe('shadow sources', () => {
  it('creates an empty read-only file and dir, and finds only existing targets', async () => {
    const root = await makeScratchDir('shadow');
    try {
      const sources = await prepareShadowSources(path.join(root, 'shadow'));
      expect((await fs.stat(sources.emptyFile)).size).toBe(0);
      expect((await fs.stat(sources.emptyFile)).mode & 0o777).toBe(0o444);
      expect(await fs.readdir(sources.emptyDir)).toEqual([]);
      expect(await prepareShadowSources(path.join(root, 'shadow'))).toEqual(sources);
      await fs.writeFile(path.join(root, '.env'), 'X=1');
      expect(await findShadowTargets(root)).toEqual([{ relPath: '.env', type: 'file' }]);
      await fs.mkdir(path.join(root, 'data'));
      expect(await findShadowTargets(root)).toEqual([
        { relPath: '.env', type: 'file' },
        { relPath: 'data', type: 'dir' },
      ]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
