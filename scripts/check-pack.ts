/**
 * `pnpm check:pack [pkg ...] [--keep] [--no-types] [--strict-types]` (default packages: core db).
 *
 * Proves the published tarballs work outside the workspace: `pnpm pack` each named package (plus the
 * workspace packages it needs at run time) into a temp dir, install the tarballs into a scratch project under
 * os.tmpdir() (every `@nanoclaw/*` overridden to its tarball; `--offline` first, `--prefer-offline` if the
 * local store cannot resolve everything), then run an ESM smoke script that imports each package by name and
 * exercises it (see SMOKES in scripts/pack-check.ts), and a consumer-side type check of the published .d.ts.
 *
 * Builds nothing: run `pnpm build` (turbo) or `pnpm -r build` first. Exits 1 on any failure.
 *   --keep          keep the temp dir (it is always kept on failure)
 *   --no-types      skip the consumer type check
 *   --strict-types  make type-check errors fatal (by default they are reported as warnings)
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  exportSubpaths,
  exportTargets,
  README_RUNS,
  readLibraries,
  readmeExample,
  renderSmokeScript,
  renderTypesCheck,
  resolveLibrary,
  SMOKES,
  type SmokeTarget,
  scratchManifest,
  type WorkspaceLibrary,
  withWorkspaceDependencies,
} from './pack-check.js';
import { pnpmCommand } from './pnpm-command.mjs';

/** Set once the temp dir exists, so `fail()` (hoisted, callable from the top) can say where it is kept. */
const state: { tmpRoot?: string } = {};
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => a.startsWith('--')));
const unknownFlags = [...flags].filter((f) => !['--keep', '--no-types', '--strict-types'].includes(f));
if (unknownFlags.length > 0) fail(`unknown option(s) ${unknownFlags.join(' ')}`);
const requested = argv.filter((a) => !a.startsWith('--'));
const names = requested.length > 0 ? requested : ['core', 'db'];

const SMOKE_TIMEOUT_MS = 120_000;
const timings: Array<[string, number]> = [];
const startedAll = performance.now();

// --- what to pack ----------------------------------------------------------------------------------------------
const libs = readLibraries(rootDir);
const named: WorkspaceLibrary[] = names.map((n) => {
  const lib = resolveLibrary(libs, n);
  return typeof lib === 'string' ? fail(lib) : lib;
});
const toPack = withWorkspaceDependencies(libs, named);
const extra = toPack.filter((l) => !named.includes(l));
log(
  `check:pack ${named.map((l) => l.name).join(' ')}${
    extra.length > 0 ? ` (+ workspace dependencies: ${extra.map((l) => l.name).join(' ')})` : ''
  }`,
);

const missing: string[] = [];
for (const lib of toPack) {
  if (!fs.existsSync(path.join(lib.absDir, 'dist'))) {
    missing.push(`${lib.dir}/dist is missing`);
    continue;
  }
  for (const target of exportTargets(lib.manifest)) {
    if (!fs.existsSync(path.join(lib.absDir, target)))
      missing.push(`${lib.dir}/${target} (in "exports") is missing`);
  }
}
if (missing.length > 0) {
  fail(`${missing.join('\n')}\ncheck:pack builds nothing: run \`pnpm build\` (or \`pnpm -r build\`) first`);
}

const pnpm = pnpmCommand(rootDir);
const storeDir = workspaceStoreDir();
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-pack-check-'));
state.tmpRoot = tmpRoot;
if (isInside(rootDir, tmpRoot)) fail(`the temp dir ${tmpRoot} is inside the workspace; set TMPDIR elsewhere`);
const tarballDir = path.join(tmpRoot, 'tarballs');
const scratchDir = path.join(tmpRoot, 'scratch');
fs.mkdirSync(tarballDir);
fs.mkdirSync(scratchDir);
let keep = flags.has('--keep');

// --- pack ------------------------------------------------------------------------------------------------------
const tarballs = new Map<string, string>();
await step('pack', () => {
  for (const lib of toPack) {
    const res = run(pnpm, ['pack', '--pack-destination', tarballDir, '--json'], lib.absDir);
    if (res.status !== 0) fail(`pnpm pack failed in ${lib.dir}:\n${output(res)}`);
    const info = parsePackJson(res.stdout, lib.dir);
    const files = new Set(info.files.map((f) => f.path));
    const absent = ['package.json', ...exportTargets(lib.manifest)].filter((f) => !files.has(f));
    if (absent.length > 0) {
      fail(`${lib.name}: the tarball lacks ${absent.join(', ')} (check "files" in ${lib.dir}/package.json)`);
    }
    const size = fs.statSync(info.filename).size;
    log(
      `  packed ${lib.name}@${info.version} -> ${path.basename(info.filename)} (${files.size} files, ${kb(size)})`,
    );
    tarballs.set(lib.name, info.filename);
  }
});

// --- scratch project -------------------------------------------------------------------------------------------
const checkTypes = !flags.has('--no-types');
const typesNode = rootDevDependency('@types/node');
const manifest = scratchManifest({
  tarballs,
  direct: toPack.map((l) => l.name),
  ...(checkTypes && typesNode ? { devDependencies: { '@types/node': typesNode } } : {}),
});
fs.writeFileSync(path.join(scratchDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const installArgs = [
  'install',
  '--no-frozen-lockfile',
  '--ignore-workspace',
  '--reporter=append-only',
  '--config.side-effects-cache=true',
  ...(storeDir ? ['--store-dir', storeDir] : []),
];
let installMode = '--offline';
let installOutput = '';
await step('install', () => {
  log(`  scratch project: ${scratchDir}${storeDir ? ` (store ${storeDir})` : ''}`);
  let res = run(pnpm, [...installArgs, '--offline'], scratchDir);
  if (res.status !== 0) {
    const why = firstErrorLine(output(res));
    log(`  offline install failed (${why}); retrying with --prefer-offline`);
    installMode = '--prefer-offline';
    res = run(pnpm, [...installArgs, '--prefer-offline'], scratchDir);
  }
  installOutput = output(res);
  for (const line of installOutput.split('\n')) {
    if (/^\s*([+-] |Packages:|dependencies:|devDependencies:|Done in|WARN|ERR)/.test(line))
      log(`  | ${line}`);
  }
  if (res.status !== 0) fail(`pnpm install ${installMode} failed in the scratch project:\n${installOutput}`);
});
const nativeBuilds = installOutput
  .split('\n')
  .filter((l) => /\b(pre|post)?install(\$|:)|Running (pre|post)?install script/.test(l))
  .map((l) => l.trim());
const usesSqlite =
  fs.existsSync(path.join(scratchDir, 'node_modules', '.pnpm')) &&
  fs.readdirSync(path.join(scratchDir, 'node_modules', '.pnpm')).some((d) => d.startsWith('better-sqlite3@'));
const nativeNote = !usesSqlite
  ? 'no native modules'
  : nativeBuilds.some((l) => l.includes('better-sqlite3'))
    ? 'better-sqlite3 was BUILT during install (no side-effects cache hit)'
    : 'better-sqlite3 reused from the pnpm side-effects cache (no rebuild)';
log(`  installed: ${installedSummary(scratchDir)}`);
log(`  native: ${nativeNote}`);

// --- smoke -----------------------------------------------------------------------------------------------------
const targets: SmokeTarget[] = toPack.map((l) => ({ name: l.name, subpaths: exportSubpaths(l.manifest) }));
fs.writeFileSync(path.join(scratchDir, 'smoke.mjs'), renderSmokeScript(targets));
let smokeFailed = false;
await step('smoke', () => {
  for (const t of targets) if (!SMOKES[t.name]) log(`  note: no smoke case for ${t.name}; import only`);
  const res = run([process.execPath], ['smoke.mjs'], scratchDir, SMOKE_TIMEOUT_MS);
  for (const line of output(res).trimEnd().split('\n')) log(`  ${line}`);
  if (res.signal)
    log(`  smoke.mjs killed (${res.signal}) after ${SMOKE_TIMEOUT_MS / 1000}s: something hangs`);
  smokeFailed = res.status !== 0;
});

// --- README examples -------------------------------------------------------------------------------------------
let readmeFailed = false;
const readmeRuns = named.filter((l) => README_RUNS[l.name]);
if (readmeRuns.length > 0) {
  await step('readme', async () => {
    for (const lib of readmeRuns) {
      const spec = README_RUNS[lib.name]!;
      const example = readmeExample(fs.readFileSync(path.join(lib.absDir, 'README.md'), 'utf8'));
      if (!example) {
        log(`  FAIL ${lib.name}: README.md has no \`\`\`ts example`);
        readmeFailed = true;
        continue;
      }
      if (spec.placeholder && !example.includes(spec.placeholder)) {
        log(`  FAIL ${lib.name}: the README example no longer contains ${spec.placeholder}`);
        readmeFailed = true;
        continue;
      }
      const fake = spec.fake ? await startFake(spec.fake) : undefined;
      try {
        const file = `readme-${lib.dir.split('/').pop()}.mjs`;
        const code = fake && spec.placeholder ? example.replaceAll(spec.placeholder, fake.baseUrl) : example;
        fs.writeFileSync(path.join(scratchDir, file), code);
        const home = fs.mkdtempSync(path.join(tmpRoot, 'home-'));
        const env = { ...spec.env, HOME: home };
        const res = await runAsync([process.execPath, file], scratchDir, env, SMOKE_TIMEOUT_MS);
        const requests = fake?.requestCount() ?? 0;
        const ok = res.code === 0 && spec.expect.test(res.output) && (!fake || requests > 0);
        readmeFailed ||= !ok;
        const against = fake ? `, ${requests} requests to the fake ${spec.fake} server` : '';
        log(
          `  ${ok ? 'ok  ' : 'FAIL'} ${lib.name}: README example ${ok ? 'ran' : 'failed'} (exit ${res.code}${against})`,
        );
        if (!ok) for (const line of res.output.trimEnd().split('\n').slice(-30)) log(`    ${line}`);
      } finally {
        await fake?.close();
      }
    }
  });
}

// --- consumer type check ---------------------------------------------------------------------------------------
let typeProblems: string[] = [];
if (checkTypes) {
  await step('types', () => {
    const { source, tsconfig } = renderTypesCheck(targets);
    fs.writeFileSync(path.join(scratchDir, 'types-check.mts'), source);
    fs.writeFileSync(path.join(scratchDir, 'tsconfig.json'), tsconfig);
    const tsc = createRequire(path.join(rootDir, 'package.json')).resolve('typescript/bin/tsc');
    const res = run([process.execPath], [tsc, '-p', scratchDir], scratchDir);
    typeProblems = res.status === 0 ? [] : output(res).trim().split('\n').filter(Boolean);
    if (typeProblems.length === 0)
      log('  published .d.ts type-check clean (strict, NodeNext, skipLibCheck: false)');
    for (const line of typeProblems)
      log(`  ${flags.has('--strict-types') ? 'ERROR' : 'WARN '} ${shorten(line)}`);
  });
}

// --- result ----------------------------------------------------------------------------------------------------
const total = (performance.now() - startedAll) / 1000;
log(
  `\ntiming: ${timings.map(([k, s]) => `${k} ${s.toFixed(1)}s`).join(', ')}, total ${total.toFixed(1)}s ` +
    `(install ${installMode}; ${nativeNote})`,
);
const typesFatal = flags.has('--strict-types') && typeProblems.length > 0;
if (smokeFailed || readmeFailed || typesFatal) {
  keep = true;
  console.error(
    `check:pack FAILED: ${smokeFailed ? 'smoke test failed' : ''}${readmeFailed ? ' README example failed' : ''}${smokeFailed && typesFatal ? '; ' : ''}${
      typesFatal ? 'published types do not type-check' : ''
    } (scratch project kept at ${scratchDir})`,
  );
  process.exit(1);
}
if (typeProblems.length > 0) {
  log(`check:pack: ${typeProblems.length} type-check warning(s) above (fatal with --strict-types)`);
}
if (keep) log(`kept ${tmpRoot}`);
else fs.rmSync(tmpRoot, { recursive: true, force: true });
log(`check:pack OK: ${toPack.map((l) => l.name).join(', ')}`);

// ---------------------------------------------------------------------------------------------------------------

async function step(name: string, fn: () => void | Promise<void>): Promise<void> {
  const started = performance.now();
  log(`\n== ${name}`);
  await fn();
  timings.push([name, (performance.now() - started) / 1000]);
}

function log(line: string): void {
  console.log(line);
}

function fail(message: string): never {
  console.error(`check:pack FAILED: ${message}`);
  if (state.tmpRoot && fs.existsSync(state.tmpRoot)) console.error(`(temp dir kept at ${state.tmpRoot})`);
  process.exit(1);
}

/** The store the workspace was installed from (so the scratch install reuses it), from .modules.yaml. */
function workspaceStoreDir(): string | undefined {
  const file = path.join(rootDir, 'node_modules', '.modules.yaml');
  if (!fs.existsSync(file)) return undefined;
  const m = /"?storeDir"?:\s*"?([^"\n]+)"?/.exec(fs.readFileSync(file, 'utf8'));
  return m?.[1]?.trim();
}

function rootDevDependency(name: string): string | undefined {
  const root = JSON.parse(fs.readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  return root.devDependencies?.[name];
}

/** Runs a command; the environment of an outer `pnpm run` (lifecycle vars, frozen lockfile...) is dropped. */
function run(
  cmd: readonly string[],
  args: readonly string[],
  cwd: string,
  timeoutMs = 10 * 60_000,
): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^(npm_package_|npm_lifecycle_|npm_config_(frozen_lockfile|local_prefix|verify_deps)|pnpm_config_)/i.test(
        k,
      )
    ) {
      continue;
    }
    if (k === 'PNPM_SCRIPT_SRC_DIR' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  env.npm_config_update_notifier = 'false';
  const [bin, ...pre] = cmd;
  return spawnSync(bin!, [...pre, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
  });
}

function output(res: SpawnSyncReturns<string>): string {
  const text = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  const lines = text.split('\n').filter((l) => !/^npm warn Unknown (user|env) config/.test(l));
  return `${lines.join('\n')}${res.error ? `\n${res.error.message}` : ''}`;
}

function firstErrorLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => /ERR_PNPM_|ERROR/.test(l))
      ?.trim() ?? 'see output'
  );
}

interface PackInfo {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string }>;
}

function parsePackJson(stdout: string, dir: string): PackInfo {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  try {
    const info = JSON.parse(stdout.slice(start, end + 1)) as PackInfo;
    if (!info.filename || !Array.isArray(info.files)) throw new Error('unexpected shape');
    return { ...info, filename: path.resolve(tarballDir, info.filename) };
  } catch (error) {
    return fail(`could not read \`pnpm pack --json\` output for ${dir} (${String(error)}):\n${stdout}`);
  }
}

/** `@nanoclaw/core@0.1.0 (tarball), zod@4.6.7, ...` from the scratch project's virtual store. */
function installedSummary(dir: string): string {
  const store = path.join(dir, 'node_modules', '.pnpm');
  if (!fs.existsSync(store)) return '(nothing)';
  const entries = fs
    .readdirSync(store)
    .filter((d) => d !== 'node_modules' && d !== 'lock.yaml')
    .map((d) => d.replace(/^(@[^+]+)\+/, '$1/').replace(/_.*$/, ''));
  const ours = entries
    .filter((e) => e.startsWith('@nanoclaw/'))
    .map((e) => e.replace(/@file\+.*$/, ' (tarball)'));
  const direct = ['zod@', 'kysely@', 'better-sqlite3@', 'cron-parser@'];
  const notable = entries.filter((e) => direct.some((p) => e.startsWith(p)));
  return `${entries.length} packages: ${[...ours, ...notable].join(', ')}`;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

function shorten(line: string): string {
  return line.replace(/node_modules\/\.pnpm\/[^/]+\/node_modules\//g, 'node_modules/');
}

/** A fake model server from the workspace's built @nanoclaw/testing (the scratch project never sees it). */
async function startFake(
  kind: 'responses' | 'anthropic' | 'chat-completions',
): Promise<{ baseUrl: string; requestCount(): number; close(): Promise<void> }> {
  const entry = path.join(rootDir, 'packages', 'testing', 'dist', 'index.js');
  if (!fs.existsSync(entry)) fail('packages/testing/dist is missing: build @nanoclaw/testing first');
  const testing = (await import(entry)) as Record<string, (options?: unknown) => Promise<FakeServer>>;
  const factory = {
    responses: 'createFakeResponsesServer',
    anthropic: 'createFakeAnthropicServer',
    'chat-completions': 'createFakeChatCompletionsServer',
  }[kind];
  const create = testing[factory];
  if (!create) return fail(`@nanoclaw/testing has no ${factory}`);
  const server = await create({ fallbackText: 'Hello from the fake model.' });
  return { baseUrl: server.baseUrl, requestCount: () => server.requests.length, close: () => server.close() };
}

interface FakeServer {
  baseUrl: string;
  requests: readonly unknown[];
  close(): Promise<void>;
}

/** Like `run`, but leaves the event loop free (the fake server answers from this process). */
function runAsync(
  cmd: readonly string[],
  cwd: string,
  extraEnv: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const [bin, ...args] = cmd;
  return new Promise((resolve) => {
    const child = spawn(bin!, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: out });
    });
  });
}
