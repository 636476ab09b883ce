import fs from 'node:fs';
import path from 'node:path';
import {
  createBwrapRuntime,
  createDockerRuntime,
  type DockerRuntime,
  dockerClientEnv,
  runCommand,
  runPipeline,
} from '@nanoclaw/container-runner';
import { dockerAvailability, testDockerRuntime } from '@nanoclaw/container-runner/test';
import {
  type BuildStepOptions,
  type CachedImage,
  createSandboxImages,
  type ImageManifest,
  type SandboxImages,
  userlandDigest,
} from '@nanoclaw/sandbox-image';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerCliOf, USERLAND_CACHE_LABEL, userlandImageTag } from '../../agent-pool/userland-images.js';
import { configFor, runCli, tempDir } from '../test-utils.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup() {
  const root = tempDir('nanoclaw-sandbox-cli-');
  fs.chmodSync(root, 0o755);
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  const config = configFor(root, {});
  const images = createSandboxImages({ cacheDir: path.join(root, 'userland') });
  const run = (args: string[], deps: Record<string, unknown> = {}) =>
    runCli(['sandbox', 'image', ...args], {
      loadConfig: () => config,
      env: {},
      homeDir,
      sandboxImages: images,
      ...deps,
    });
  return { root, config, images, run };
}

/** A finished userland in the cache, as a build leaves it (a tree with node, its manifest). */
async function cached(images: SandboxImages, digest: string, sizeBytes: number): Promise<CachedImage> {
  const staging = await images.cache.stage(`test-${digest.slice(0, 8)}`);
  fs.mkdirSync(path.join(staging, 'tree/usr/bin'), { recursive: true });
  fs.writeFileSync(path.join(staging, 'tree/usr/bin/node'), '');
  const manifest: ImageManifest = {
    kind: 'userland',
    digest,
    packages: ['bash'],
    builtAt: new Date().toISOString(),
    buildMs: 1_000,
    sizeBytes,
    files: 1,
  };
  return images.cache.commit(staging, manifest);
}

describe('nanoclaw sandbox image prune', () => {
  it("removes the trees no group uses and what dead builds left, keeps the base and the groups' variants, says what it freed", async () => {
    const { config, images, run } = setup();
    fs.mkdirSync(path.join(config.NANOCLAW_GROUPS_DIR, 'data'), { recursive: true });
    fs.writeFileSync(
      path.join(config.NANOCLAW_GROUPS_DIR, 'data.container.json'),
      JSON.stringify({ packages: { apt: ['sqlite3'] } }),
    );
    const base = await cached(images, userlandDigest(images.recipe()), 330e6);
    const variant = await cached(images, userlandDigest(images.recipe(['sqlite3'])), 340e6);
    const old = await cached(images, 'f'.repeat(64), 320e6);
    fs.mkdirSync(path.join(images.cache.dir, '.staging-userland-0123456789abcdef.0123456789ab/tree'), {
      recursive: true,
    });

    const result = await run(['prune'], { dockerCli: async () => undefined });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`removed ${old.dir} (320 MB)\n`);
    expect(result.stdout).toContain(
      `removed ${path.join(images.cache.dir, '.staging-userland-0123456789abcdef.0123456789ab')} (0.0 MB)\n`,
    );
    expect(result.stdout).toContain(
      `freed 320 MB in ${images.cache.dir}; docker: no engine answered, its images were left alone\n`,
    );
    expect(fs.existsSync(base.tree)).toBe(true);
    expect(fs.existsSync(variant.tree)).toBe(true);
    expect(fs.existsSync(old.dir)).toBe(false);
  });

  it('removes our docker images no current userland uses, and leaves the current one and images that are not ours', {
    timeout: 120_000,
  }, async () => {
    const docker = await dockerAvailability();
    if (!docker.ok) {
      if (docker.required) throw new Error(docker.reason);
      console.warn(`[sandbox prune] docker part skipped: ${docker.reason}`);
      return;
    }
    const { images, run } = setup();
    const base = await cached(images, userlandDigest(images.recipe()), 330e6);
    const runtime = testDockerRuntime();
    const current = userlandImageTag(base);
    const stale = 'nanoclaw/userland:0000000000000000-20200101000000';
    const notOurs = 'nanoclaw/prune-test-not-ours:keep';
    const otherCache = 'nanoclaw/userland:1111111111111111-20200101000000';
    for (const tag of [current, stale, notOurs]) await emptyImage(runtime, tag, images.cache.dir);
    // Another install's cache on the same engine: not ours to remove.
    await emptyImage(runtime, otherCache, '/elsewhere/userland');
    cleanups.push(async () => {
      for (const tag of [current, stale, notOurs, otherCache])
        await runCommand(runtime.binary, ['image', 'rm', '-f', tag], {
          env: dockerClientEnv(runtime.clientEnv),
        });
    });

    const result = await run(['prune'], { dockerCli: async () => dockerCliOf(runtime) });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`removed docker image ${stale} \\(`));
    expect(result.stdout).not.toContain(current);
    expect(result.stdout).toMatch(/; 1 docker image removed\n$/);
    expect(await runtime.hasImage(current)).toBe(true);
    expect(await runtime.hasImage(stale)).toBe(false);
    expect(await runtime.hasImage(notOurs)).toBe(true);
    expect(await runtime.hasImage(otherCache)).toBe(true);
  });
});

describe('nanoclaw sandbox image build --refresh', () => {
  it('builds the base again and says the replaced trees stay until prune', async () => {
    const { images, run } = setup();
    const asked: BuildStepOptions[] = [];
    const base = await cached(images, userlandDigest(images.recipe()), 330e6);
    images.ensureBase = async (options: BuildStepOptions = {}) => {
      asked.push(options);
      return base;
    };
    const result = await run(['build', '--refresh'], { runtime: async () => createBwrapRuntime() });
    expect(result.code).toBe(0);
    expect(asked.map((options) => options.refresh)).toEqual([true]);
    expect(result.stdout).toContain('until `nanoclaw sandbox image prune`');
  });
});

describe('nanoclaw sandbox image build, where sandboxes cannot run', () => {
  it('builds the userland and only notes what it could not prepare: no runtime, an engine that does not answer', async () => {
    const { images, run } = setup();
    const base = await cached(images, userlandDigest(images.recipe()), 330e6);
    images.ensureBase = async () => base;
    const none = await run(['build'], {
      runtime: async () => {
        throw new Error('no sandbox runtime is usable here');
      },
    });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('(already built)');
    expect(none.stderr).toContain(
      'note: no sandbox runtime here to prepare: no sandbox runtime is usable here',
    );
    const silent = createDockerRuntime({ hostEnv: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    const down = await run(['build'], { runtime: async () => silent });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/note: the docker image was not prepared: .*; the first sandbox prepares it/);
  });
});

describe('nanoclaw sandbox image build (docker)', () => {
  it('imports the base into the engine and builds the runner image on it, so the first sandbox need not', {
    timeout: 120_000,
  }, async () => {
    const docker = await dockerAvailability();
    if (!docker.ok) {
      if (docker.required) throw new Error(docker.reason);
      console.warn(`[sandbox build] docker part skipped: ${docker.reason}`);
      return;
    }
    const { images, run } = setup();
    const base = await cached(images, userlandDigest(images.recipe()), 330e6);
    const runtime = testDockerRuntime();
    const userlandTag = userlandImageTag(base);
    const deps = { runtime: async () => runtime, dockerCli: async () => dockerCliOf(runtime) };
    const first = await run(['build'], deps);
    const runnerTag = /docker image (\S+) ready/.exec(first.stdout)?.[1] ?? '';
    cleanups.push(async () => {
      for (const tag of [runnerTag, userlandTag])
        await runCommand(runtime.binary, ['image', 'rm', '-f', tag], {
          env: dockerClientEnv(runtime.clientEnv),
        });
    });

    expect(first.code, first.stderr).toBe(0);
    expect(runnerTag).toMatch(/^nanoclaw\/agent-runner:u-[0-9a-f]{16}$/);
    expect(await runtime.hasImage(userlandTag)).toBe(true);
    expect(await runtime.hasImage(runnerTag)).toBe(true);
    // Again: both are there, nothing is imported or built, the same image is named.
    const again = await run(['build'], deps);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('(already built)');
    expect(again.stdout).toContain(`docker image ${runnerTag} ready`);
  });
});

/** `tar -c -T /dev/null | docker import - <tag>`: an image with nothing in it, labelled as made from `cacheDir`. */
async function emptyImage(runtime: DockerRuntime, tag: string, cacheDir: string): Promise<void> {
  const label = `LABEL ${USERLAND_CACHE_LABEL}=${JSON.stringify(cacheDir)}`;
  const [, load] = await runPipeline(
    { file: 'tar', args: ['-c', '-T', '/dev/null'], options: { env: { PATH: '/usr/bin:/bin' } } },
    {
      file: runtime.binary,
      args: ['import', '--change', label, '-', tag],
      options: { env: dockerClientEnv(runtime.clientEnv) },
    },
  );
  if (load.code !== 0) throw new Error(`docker import failed: ${load.stderr}`);
}
