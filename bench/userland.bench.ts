/**
 * What the agent userland (the Debian root file system of @nanoclaw/sandbox-image) costs next to the old root
 * (node + its libraries only: bwrap's runtime tree, docker's FROM-scratch image), in one run:
 * - build: a FRESH base build with mmdebstrap into a temporary cache (progress printed): wall time, size and file
 *   count; then the cached rebuild (`ensureBase()` again on that cache, and a new `createSandboxImages` on it);
 *   the temporary cache is removed. The old tree is built fresh into a temporary cache the same way. With
 *   USERLAND_BENCH_FRESH=0 the userland is not built: the default cache's recorded `manifest.buildMs` is reported
 *   (and said so), the cached rebuild is timed on the default cache.
 * - docker: `docker import` of the userland and the runner image built on it (the host's own
 *   `ensureUserlandImage` / `ensureRunnerImageOnUserland`, under a bench-only tag so the import really runs and
 *   the host's images are left alone), the old scratch image's build (docker/build-scratch-image.sh), and the
 *   image sizes (`docker image inspect --format {{.Size}}`).
 * - cold start, old root vs userland, in bwrap and docker: the real agent-runner bundle (apps/agent-runner/dist,
 *   built-in `mock` provider) through `createSandboxConnection`, spawn → `runner/ready` → `session/start` → first
 *   `text-delta` (median, min–max of 5 fresh sandboxes each), and the bare spawn of a `node -e` printing one byte
 *   (median of 10 after 2 warm-ups). The sandboxes run on the default cache's userland (built if missing).
 * The 1-minute load average is recorded with every row: on a shared machine the figures move with it.
 * Every sandbox, the bench images and the temporary caches are removed at the end, on errors and on SIGINT too.
 * Run: `node --import tsx bench/userland.bench.ts` after building sandbox-image, container-runner and agent-runner
 * (`pnpm bench userland` builds everything). Docker uses DOCKER_HOST, else the engine of .ci/sandbox-setup.sh.
 * Env: USERLAND_BENCH_FRESH (1; 0 = report the recorded build), USERLAND_BENCH_TARGETS (default
 * `bwrap-old,bwrap-userland,docker-old,docker-userland`), USERLAND_BENCH_BARE (10), USERLAND_BENCH_COLD (5).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// From the workspace packages' build output (build them first).
import { createDockerRuntime, ensureRuntimeTree } from '@nanoclaw/container-runner';
import { type ContainerRuntime, errorMessage } from '@nanoclaw/core';
import {
  type CachedImage,
  createSandboxImages,
  formatProgress,
  type SandboxImages,
  treeSize,
} from '@nanoclaw/sandbox-image';
// Not exported by @nanoclaw/host: the host's own import and runner-image build, from its source.
import {
  dockerCliOf,
  ensureRunnerImageOnUserland,
  ensureUserlandImage,
  userlandImageTag,
} from '../apps/host/src/agent-pool/userland-images.js';
import { envInt, envString, writeBenchReport } from './report.js';
import {
  type BareSummary,
  benchBwrapRuntime,
  benchSpecFactory,
  buildScratchImage,
  type ColdSummary,
  definedEnv,
  dockerHostEnv,
  execFileAsync,
  groupDir,
  SandboxBench,
  SCRATCH_IMAGE,
  stageBenchFiles,
} from './sandbox-bench.js';
import { fmt, range, round } from './stats.js';

type TargetName = 'bwrap-old' | 'bwrap-userland' | 'docker-old' | 'docker-userland';

interface TargetResult extends Partial<BareSummary> {
  target: TargetName;
  status: 'ok' | 'unavailable' | 'error' | 'skipped';
  reason?: string;
  detail?: string;
  /** 1-minute load average when the row started. */
  load1?: number;
  cold?: ColdSummary;
}

/** The userland's build: fresh (timed here) or as the default cache recorded it. */
type UserlandBuild =
  | {
      status: 'ok';
      source: 'fresh' | 'recorded';
      cacheDir: string;
      digest: string;
      builtAt: string;
      buildMs: number;
      sizeBytes: number;
      files: number;
      /** `ensureBase()` again on the same `SandboxImages`, ms. */
      cachedSameMs: number;
      /** A new `createSandboxImages` on that cache, then `ensureBase()`, ms. */
      cachedNewMs: number;
    }
  | { status: 'unavailable' | 'error'; reason: string };

/** The old minimal tree (node + libs, `ensureRuntimeTree`), built into a temporary cache. */
interface OldTreeBuild {
  buildMs: number;
  cachedMs: number;
  sizeBytes: number;
  files: number;
}

type DockerImages =
  | {
      status: 'ok';
      runtime: ContainerRuntime;
      detail: string;
      scratch: { tag: string; buildMs: number; sizeBytes: number };
      userland: { tag: string; importMs: number; sizeBytes: number };
      runner: { tag: string; buildMs: number; sizeBytes: number };
    }
  | { status: 'unavailable' | 'error'; reason: string };

const TARGETS: readonly TargetName[] = ['bwrap-old', 'bwrap-userland', 'docker-old', 'docker-userland'];
const INSTALL_ID = `userland-bench-${process.pid}`;
const FRESH = envString('USERLAND_BENCH_FRESH') !== '0';
const BARE_RUNS = envInt('USERLAND_BENCH_BARE', 10);
const BARE_WARMUPS = 2;
const COLD_RUNS = envInt('USERLAND_BENCH_COLD', 5);
const SELECTED = new Set(
  (envString('USERLAND_BENCH_TARGETS') ?? TARGETS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const SANDBOX_USER = { uid: 1000, gid: 1000 };

const bench = new SandboxBench(INSTALL_ID);
bench.stopOnSignals();

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  console.log(`load average at start: ${loadText(loadStart)} (${os.cpus().length} cpus)`);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'nanoclaw-userland-bench-'));
  // A root host builds as the unprivileged nanoclaw-build account, which must be able to enter the cache.
  await fs.chmod(root, 0o755);
  bench.onCleanup(() => fs.rm(root, { recursive: true, force: true }));
  const rows: TargetResult[] = [];
  let build: UserlandBuild;
  let oldTree: OldTreeBuild;
  let docker: DockerImages | undefined;
  try {
    const { app } = await stageBenchFiles(root, TARGETS);
    console.log('--- build');
    build = await measureUserlandBuild(root);
    oldTree = await measureOldTree(root);
    console.log('--- the userland the sandboxes run on (default cache)');
    const base = await defaultUserland();
    const wantsDocker = TARGETS.some((t) => t.startsWith('docker') && SELECTED.has(t));
    if (wantsDocker) {
      console.log('--- docker images');
      docker = await prepareDockerImages(base, app);
    }
    const bwrap = await benchBwrapRuntime();
    for (const target of TARGETS) {
      if (!SELECTED.has(target)) {
        rows.push({ target, status: 'skipped', reason: 'not in USERLAND_BENCH_TARGETS' });
        continue;
      }
      console.log(`--- ${target}`);
      rows.push(await benchTarget(target, { root, app, base, bwrap, docker }));
    }
  } finally {
    await bench.cleanup();
  }
  const loadEnd = os.loadavg();
  printLatencyTable(rows);
  printBuildTable(build, oldTree, docker);
  console.log(
    `load average: start ${loadText(loadStart)}, end ${loadText(loadEnd)} (${os.cpus().length} cpus)`,
  );
  writeBenchReport(
    'userland',
    { rows, build, oldTree, docker: docker && dockerReport(docker) },
    {
      config: { fresh: FRESH, bareRuns: BARE_RUNS, bareWarmups: BARE_WARMUPS, coldRuns: COLD_RUNS },
      loadavg: { start: loadStart, end: loadEnd },
    },
  );
  if (rows.some((r) => r.status === 'error') || build.status === 'error' || docker?.status === 'error')
    process.exitCode = 1;
}

/** Fresh: builds the base into a temporary cache (removed afterwards); else the default cache's record. */
async function measureUserlandBuild(root: string): Promise<UserlandBuild> {
  try {
    if (!FRESH) {
      const images = createSandboxImages();
      const recorded = await images.findBase();
      if (!recorded) {
        return {
          status: 'unavailable',
          reason: `USERLAND_BENCH_FRESH=0 and no base userland in ${images.cache.dir} (nanoclaw sandbox image build)`,
        };
      }
      console.log(`userland: not built (USERLAND_BENCH_FRESH=0): the build ${images.cache.dir} recorded`);
      return { ...userlandFigures('recorded', images, recorded), ...(await cachedRebuild(images)) };
    }
    const cacheDir = path.join(root, 'userland-cache');
    bench.onCleanup(() => fs.rm(cacheDir, { recursive: true, force: true }));
    const images = createSandboxImages({ cacheDir });
    const builder = await images.builder();
    if (!builder.ok) return { status: 'unavailable', reason: `${builder.reason} (${builder.hint})` };
    console.log(`userland: fresh build into ${cacheDir} (${builder.detail})`);
    const started = performance.now();
    const built = await images.ensureBase({
      onProgress: (progress) => console.log(`userland build ${formatProgress(progress)}`),
    });
    const buildMs = performance.now() - started;
    const figures = { ...userlandFigures('fresh', images, built), buildMs: round(buildMs) };
    const cached = await cachedRebuild(images);
    await fs.rm(cacheDir, { recursive: true, force: true });
    console.log(
      `userland: built in ${seconds(buildMs)}, ${megabytes(built.manifest.sizeBytes)}, ${built.manifest.files} files; ` +
        `cached: ${fmt(cached.cachedSameMs)} ms (same instance), ${fmt(cached.cachedNewMs)} ms (new instance); temporary cache removed`,
    );
    return { ...figures, ...cached };
  } catch (error) {
    console.error(`userland build: ${errorMessage(error)}`);
    return { status: 'error', reason: errorMessage(error) };
  }
}

function userlandFigures(source: 'fresh' | 'recorded', images: SandboxImages, image: CachedImage) {
  const { manifest } = image;
  return {
    status: 'ok' as const,
    source,
    cacheDir: images.cache.dir,
    digest: manifest.digest,
    builtAt: manifest.builtAt,
    buildMs: manifest.buildMs,
    sizeBytes: manifest.sizeBytes,
    files: manifest.files,
  };
}

/** `ensureBase()` again on the same instance, and on a new one over the same cache (both find it built), ms. */
async function cachedRebuild(images: SandboxImages): Promise<{ cachedSameMs: number; cachedNewMs: number }> {
  let started = performance.now();
  await images.ensureBase();
  const cachedSameMs = performance.now() - started;
  started = performance.now();
  await createSandboxImages({ cacheDir: images.cache.dir }).ensureBase();
  const cachedNewMs = performance.now() - started;
  return { cachedSameMs: round(cachedSameMs), cachedNewMs: round(cachedNewMs) };
}

/** The old minimal tree built fresh into a temporary cache, then found again; its size. */
async function measureOldTree(root: string): Promise<OldTreeBuild> {
  const cacheDir = path.join(root, 'runtime-tree-cache');
  let started = performance.now();
  const tree = await ensureRuntimeTree({ cacheDir });
  const buildMs = performance.now() - started;
  started = performance.now();
  await ensureRuntimeTree({ cacheDir });
  const cachedMs = performance.now() - started;
  const size = await treeSize(tree);
  await fs.rm(cacheDir, { recursive: true, force: true });
  console.log(
    `old tree (node + libs): built in ${fmt(buildMs)} ms, ${megabytes(size.bytes)}, ${size.files} files; cached: ${fmt(cachedMs)} ms`,
  );
  return { buildMs: round(buildMs), cachedMs: round(cachedMs), sizeBytes: size.bytes, files: size.files };
}

/** The base userland of the default cache (what a host runs on), built with progress when it is missing. */
async function defaultUserland(): Promise<CachedImage | { unavailable: string }> {
  const images = createSandboxImages();
  if (!(await images.findBase())) {
    const builder = await images.builder();
    if (!builder.ok) return { unavailable: `no userland built and ${builder.reason} (${builder.hint})` };
    console.log(`userland: not in ${images.cache.dir}; building it there`);
  }
  const base = await images.ensureBase({
    onProgress: (progress) => console.log(`userland build ${formatProgress(progress)}`),
  });
  console.log(`userland: ${base.tree} (digest ${base.manifest.digest.slice(0, 16)})`);
  return base;
}

/**
 * The scratch image (old) and, on the userland, its `docker import` and the runner image (new), with their
 * sizes. The import goes under a bench-only tag (the real digest is suffixed), so it runs even when the host has
 * imported this userland already; the bench's own images are removed by the clean-up.
 */
async function prepareDockerImages(
  base: CachedImage | { unavailable: string },
  app: string,
): Promise<DockerImages> {
  const hostEnv = dockerHostEnv();
  const runtime = createDockerRuntime({ hostEnv });
  const available = await runtime.available();
  if (!available.ok) return { status: 'unavailable', reason: `${available.reason} (${available.hint})` };
  if ('unavailable' in base) return { status: 'unavailable', reason: base.unavailable };
  bench.watchDocker(runtime);
  try {
    const scratchMs = await buildScratchImage(hostEnv);
    console.log(`docker: scratch image ${SCRATCH_IMAGE} built in ${seconds(scratchMs)}`);
    const cli = dockerCliOf(runtime, hostEnv);
    const benchBase: CachedImage = {
      ...base,
      manifest: { ...base.manifest, digest: `bench${process.pid}-${base.manifest.digest}` },
    };
    const importTag = userlandImageTag(benchBase);
    const made: string[] = [importTag];
    bench.onCleanup(() => removeImages(hostEnv, made));
    let started = performance.now();
    await ensureUserlandImage(cli, benchBase);
    const importMs = performance.now() - started;
    console.log(`docker: userland imported as ${importTag} in ${seconds(importMs)}`);
    started = performance.now();
    const runnerTag = await ensureRunnerImageOnUserland({
      cli,
      userland: { userland: benchBase },
      runnerDist: app,
      user: SANDBOX_USER,
    });
    const runnerMs = performance.now() - started;
    made.unshift(runnerTag);
    console.log(`docker: runner image ${runnerTag} built on it in ${seconds(runnerMs)}`);
    return {
      status: 'ok',
      runtime,
      detail: available.detail,
      scratch: {
        tag: SCRATCH_IMAGE,
        buildMs: round(scratchMs),
        sizeBytes: await imageSize(hostEnv, SCRATCH_IMAGE),
      },
      userland: { tag: importTag, importMs: round(importMs), sizeBytes: await imageSize(hostEnv, importTag) },
      runner: { tag: runnerTag, buildMs: round(runnerMs), sizeBytes: await imageSize(hostEnv, runnerTag) },
    };
  } catch (error) {
    console.error(`docker images: ${errorMessage(error)}`);
    return { status: 'error', reason: errorMessage(error) };
  }
}

async function imageSize(hostEnv: Record<string, string | undefined>, tag: string): Promise<number> {
  const { stdout } = await execFileAsync('docker', ['image', 'inspect', '--format', '{{.Size}}', tag], {
    env: definedEnv(hostEnv),
  });
  return Number(stdout.trim());
}

async function removeImages(
  hostEnv: Record<string, string | undefined>,
  tags: readonly string[],
): Promise<void> {
  if (tags.length === 0) return;
  await execFileAsync('docker', ['image', 'rm', ...tags], { env: definedEnv(hostEnv) });
  console.log(`docker: removed ${tags.join(', ')}`);
}

interface TargetContext {
  root: string;
  app: string;
  base: CachedImage | { unavailable: string };
  bwrap: Awaited<ReturnType<typeof benchBwrapRuntime>>;
  docker: DockerImages | undefined;
}

/** Bare spawns and cold starts of one runtime on one root. */
async function benchTarget(target: TargetName, context: TargetContext): Promise<TargetResult> {
  const placed = placement(target, context);
  if ('unavailable' in placed) {
    console.log(`${target}: unavailable: ${placed.unavailable}`);
    return { target, status: 'unavailable', reason: placed.unavailable };
  }
  const result: TargetResult = {
    target,
    status: 'ok',
    detail: placed.detail,
    load1: os.loadavg()[0] ?? 0,
  };
  const spec = benchSpecFactory({
    label: target,
    installId: INSTALL_ID,
    app: context.app,
    group: groupDir(context.root, target),
    ...(placed.image ? { image: placed.image } : {}),
    ...(placed.rootfs ? { rootfs: placed.rootfs } : {}),
  });
  try {
    Object.assign(result, await bench.measureBare(target, placed.runtime, spec, BARE_RUNS, BARE_WARMUPS));
    result.cold = (await bench.measureCold(target, placed.runtime, spec, COLD_RUNS)).cold;
  } catch (error) {
    console.error(`${target}: ${errorMessage(error)}`);
    result.status = 'error';
    result.reason = errorMessage(error);
  }
  return result;
}

/** What a target runs on: the runtime and its root (bwrap: a tree or the minimal one; docker: an image). */
function placement(
  target: TargetName,
  { base, bwrap, docker }: TargetContext,
): { runtime: ContainerRuntime; image?: string; rootfs?: string; detail: string } | { unavailable: string } {
  if (target.startsWith('bwrap')) {
    if ('unavailable' in bwrap) return bwrap;
    if (target === 'bwrap-old') return { runtime: bwrap.runtime, detail: `minimal tree; ${bwrap.detail}` };
    if ('unavailable' in base) return base;
    return { runtime: bwrap.runtime, rootfs: base.tree, detail: `rootfs ${base.tree}` };
  }
  if (!docker) return { unavailable: 'docker not prepared' };
  if (docker.status !== 'ok') return { unavailable: `docker images: ${docker.reason}` };
  const image = target === 'docker-old' ? docker.scratch.tag : docker.runner.tag;
  return { runtime: docker.runtime, image, detail: `image ${image}` };
}

function printLatencyTable(rows: readonly TargetResult[]): void {
  console.log(
    `\nms; bare = trivial node sandbox, spawn → first stdout byte / spawn → sandbox gone (median of ${BARE_RUNS} after ${BARE_WARMUPS} warm-ups); ` +
      `cold = runner from spawn, median (min–max) of ${COLD_RUNS} fresh sandboxes; load = 1-min load average at the row's start`,
  );
  console.table(
    rows.map((r) => ({
      target: r.target,
      status: r.status,
      load: r.load1 === undefined ? '' : r.load1.toFixed(2),
      'bare up / gone': r.bare && r.bareUp ? `${fmt(r.bareUp.median)} / ${fmt(r.bare.median)}` : '',
      'cold ready': range(r.cold?.readyMs),
      'cold session': range(r.cold?.sessionMs),
      'cold 1st token': range(r.cold?.firstDeltaMs),
    })),
  );
  for (const r of rows) {
    const note = [r.reason, r.detail].filter(Boolean).join('; ');
    if (note) console.log(`${r.target}: ${note}`);
  }
}

function printBuildTable(
  build: UserlandBuild,
  oldTree: OldTreeBuild,
  docker: DockerImages | undefined,
): void {
  const userland = build.status === 'ok' ? build : undefined;
  const images = docker?.status === 'ok' ? docker : undefined;
  const buildNote =
    build.status !== 'ok'
      ? `userland ${build.status}: ${build.reason}`
      : build.source === 'fresh'
        ? 'userland: fresh mmdebstrap build into a temporary cache; old: ensureRuntimeTree into a temporary cache'
        : `userland NOT built (USERLAND_BENCH_FRESH=0): manifest.buildMs recorded ${build.builtAt} in ${build.cacheDir}`;
  console.log('\nsizes and build times (old = node + its libraries only)');
  console.table([
    {
      what: 'root build',
      old: `${fmt(oldTree.buildMs)} ms`,
      userland: userland ? seconds(userland.buildMs) : '',
      note: buildNote,
    },
    {
      what: 'root rebuild, cached',
      old: `${fmt(oldTree.cachedMs)} ms`,
      userland: userland ? `${fmt(userland.cachedSameMs)} ms / ${fmt(userland.cachedNewMs)} ms` : '',
      note: 'userland: ensureBase() again / a new createSandboxImages on the cache',
    },
    {
      what: 'root size (bwrap)',
      old: `${megabytes(oldTree.sizeBytes)}, ${oldTree.files} files`,
      userland: userland ? `${megabytes(userland.sizeBytes)}, ${userland.files} files` : '',
      note: 'bytes as lstat reports them (the old tree hard-links the host files when it can)',
    },
    {
      what: 'docker image build',
      old: images ? seconds(images.scratch.buildMs) : '',
      userland: images ? `${seconds(images.userland.importMs)} + ${seconds(images.runner.buildMs)}` : '',
      note: images
        ? "old: build-scratch-image.sh (docker's layer cache applies); userland: docker import + runner image"
        : dockerNote(docker),
    },
    {
      what: 'docker image size',
      old: images ? megabytes(images.scratch.sizeBytes) : '',
      userland: images ? megabytes(images.runner.sizeBytes) : '',
      note: images ? `imported userland alone ${megabytes(images.userland.sizeBytes)}` : '',
    },
  ]);
}

function dockerNote(docker: DockerImages | undefined): string {
  if (!docker) return 'no docker target selected';
  return docker.status === 'ok' ? '' : `docker ${docker.status}: ${docker.reason}`;
}

/** The docker figures without the runtime object. */
function dockerReport(docker: DockerImages): unknown {
  if (docker.status !== 'ok') return docker;
  const { runtime: _runtime, ...figures } = docker;
  return figures;
}

function loadText(load: readonly number[]): string {
  return load.map((n) => n.toFixed(2)).join(' ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

await main();
