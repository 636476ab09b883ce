import { createProcessRuntime } from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage, type Logger } from '@nanoclaw/core';
import {
  type CachedImage,
  type GroupUserland,
  SandboxImageError,
  type SandboxImages,
} from '@nanoclaw/sandbox-image';
import { describe, expect, it } from 'vitest';
import { UserlandError, UserlandPlanner } from './sandbox-userland.js';

const image = (kind: 'userland' | 'npm-layer', tree: string): CachedImage => ({
  dir: tree.replace(/\/tree$/, ''),
  tree,
  manifest: { kind, digest: 'd'.repeat(64), packages: [], builtAt: '', buildMs: 1, sizeBytes: 1, files: 1 },
});

/** The parts of SandboxImages the planner uses, scripted. */
function fakeImages(state: {
  base: boolean;
  builder: boolean;
  result?: GroupUserland;
  error?: Error;
}): SandboxImages {
  return {
    findBase: async () => (state.base ? image('userland', '/cache/userland-1/tree') : undefined),
    builder: async () =>
      state.builder
        ? { ok: true, detail: 'mmdebstrap at /usr/bin/mmdebstrap' }
        : { ok: false, reason: 'mmdebstrap is not installed', hint: 'apt-get install -y mmdebstrap' },
    ensureGroup: async () => {
      if (state.error) throw state.error;
      return state.result ?? { userland: image('userland', '/cache/userland-1/tree') };
    },
  } as unknown as SandboxImages;
}

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (a: unknown, b?: string) => warnings.push(typeof a === 'string' ? a : (b ?? '')),
    error: () => {},
    fatal: () => {},
    child: () => logger,
  } as unknown as Logger;
  return { logger, warnings };
}

const bwrap = { name: 'bwrap' } as ContainerRuntime;
const none = { apt: [], npm: [] };

function planner(images: SandboxImages, runtime: ContainerRuntime = bwrap) {
  const { logger, warnings } = recordingLogger();
  const made = new UserlandPlanner({
    runtime,
    images,
    user: { uid: 1000, gid: 1000 },
    hostIsRoot: false,
    runnerDist: async () => '/dist',
    logger,
  });
  return { planner: made, warnings };
}

describe('UserlandPlanner', () => {
  it('runs agents without a shell, saying so loudly once, when the userland cannot be built here', async () => {
    const { planner: p, warnings } = planner(fakeImages({ base: false, builder: false }));
    expect(await p.groupUserland('main', none)).toBeUndefined();
    expect(await p.groupUserland('other', none)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AGENTS HAVE NO SHELL');
  });

  it("refuses a group's packages that cannot be built, naming the key and the apt command", async () => {
    const { planner: p } = planner(fakeImages({ base: false, builder: false }));
    const error = await p.groupUserland('work', { apt: ['sqlite3'], npm: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserlandError);
    expect((error as UserlandError).key).toBe('packages');
    expect(errorMessage(error)).toContain('groups/work.container.json "packages"');
    expect(errorMessage(error)).toContain('apt-get install -y mmdebstrap');
  });

  it('answers a failed build with its cause, the fix, and the command that shows the full output', async () => {
    const error = new SandboxImageError(
      'build-failed',
      'mmdebstrap failed (1):\nE: Failed to fetch http://mirror/…',
      {
        hint: 'check the mirror',
      },
    );
    const { planner: p } = planner(fakeImages({ base: true, builder: true, error }));
    const refused = await p.groupUserland('work', none).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserlandError);
    expect((refused as UserlandError).key).toBeUndefined();
    expect(errorMessage(refused)).toBe(
      'the agent userland for work could not be built: mmdebstrap failed (1):\nE: Failed to fetch http://mirror/…\nfix: check the mirror\nrun `nanoclaw sandbox image build` to see the full output',
    );
  });

  it('uses a userland built earlier even where mmdebstrap is gone', async () => {
    const { planner: p } = planner(fakeImages({ base: true, builder: false }));
    expect((await p.groupUserland('main', none))?.userland.tree).toBe('/cache/userland-1/tree');
  });

  it('gives bwrap the tree as its root and the npm layer read-only at /usr/local', async () => {
    const result = {
      userland: image('userland', '/cache/userland-2/tree'),
      npmLayer: image('npm-layer', '/cache/npm-3/tree'),
    };
    const { planner: p } = planner(fakeImages({ base: true, builder: true, result }));
    const userland = await p.groupUserland('work', { apt: ['sqlite3'], npm: ['semver'] });
    expect(userland).toBe(result);
    expect(await p.placement(result)).toEqual({
      rootfs: '/cache/userland-2/tree',
      mounts: [
        {
          kind: 'host',
          hostPath: '/cache/npm-3/tree',
          containerPath: '/usr/local',
          readonly: true,
          within: '/cache/npm-3/tree',
        },
      ],
    });
  });

  it('leaves the process runtime alone: it runs on the host', async () => {
    const { planner: p } = planner(
      fakeImages({ base: true, builder: true }),
      createProcessRuntime({ unsafeAllowNoIsolation: true }),
    );
    expect(p.applies).toBe(false);
    expect(await p.groupUserland('main', { apt: ['sqlite3'], npm: [] })).toBeUndefined();
  });
});
