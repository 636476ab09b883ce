/**
 * Pieces of `pnpm check:pack` (scripts/check-pack.ts) that do not touch the network or spawn anything: which
 * workspace packages to pack, the scratch project's package.json, and the smoke scripts run inside it.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WorkspaceLibrary {
  /** `@nanoclaw/db` */
  name: string;
  /** `packages/db` */
  dir: string;
  absDir: string;
  manifest: Record<string, unknown>;
}

/** Every publishable package in `packages/*`, by name. */
export function readLibraries(rootDir: string): Map<string, WorkspaceLibrary> {
  const out = new Map<string, WorkspaceLibrary>();
  const base = path.join(rootDir, 'packages');
  for (const entry of fs.existsSync(base) ? fs.readdirSync(base, { withFileTypes: true }) : []) {
    const file = path.join(base, entry.name, 'package.json');
    if (!entry.isDirectory() || !fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (typeof manifest.name !== 'string' || manifest.private === true) continue;
    out.set(manifest.name, {
      name: manifest.name,
      dir: `packages/${entry.name}`,
      absDir: path.dirname(file),
      manifest,
    });
  }
  return out;
}

/** `core`, `packages/core` or `@nanoclaw/core` → the library, or an error message. */
export function resolveLibrary(libs: Map<string, WorkspaceLibrary>, arg: string): WorkspaceLibrary | string {
  const bare = arg.replace(/\/$/, '');
  for (const lib of libs.values()) {
    if (lib.name === bare || lib.dir === bare || path.basename(lib.dir) === bare) return lib;
  }
  return `no publishable package "${arg}" in packages/* (apps are private and never packed); have: ${[
    ...libs.values(),
  ]
    .map((l) => path.basename(l.dir))
    .join(', ')}`;
}

/** Runtime dependency fields: what a consumer installs. */
const RUNTIME_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

/**
 * The named packages plus every workspace package they need at run time (transitively), in dependency order
 * (dependencies first). Without the extra ones the scratch install would look `@nanoclaw/core@^0.1.0` up on
 * the registry.
 */
export function withWorkspaceDependencies(
  libs: Map<string, WorkspaceLibrary>,
  named: readonly WorkspaceLibrary[],
): WorkspaceLibrary[] {
  const ordered: WorkspaceLibrary[] = [];
  const seen = new Set<string>();
  const visit = (lib: WorkspaceLibrary) => {
    if (seen.has(lib.name)) return;
    seen.add(lib.name);
    for (const field of RUNTIME_FIELDS) {
      const deps = lib.manifest[field];
      if (typeof deps !== 'object' || deps === null) continue;
      for (const dep of Object.keys(deps)) {
        const target = libs.get(dep);
        if (target) visit(target);
      }
    }
    ordered.push(lib);
  };
  for (const lib of named) visit(lib);
  return ordered;
}

/** Every file an `exports` map points at (`./dist/index.js`, ...), relative to the package, without `./`. */
export function exportTargets(manifest: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') {
      if (!value.includes('*')) out.add(value.replace(/^\.\//, ''));
    } else if (typeof value === 'object' && value !== null) {
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk(manifest.exports);
  return [...out].sort();
}

/** Import subpaths a consumer can use: `.`, `./test`, ... (not `./package.json` or patterns). */
export function exportSubpaths(manifest: Record<string, unknown>): string[] {
  const exp = manifest.exports;
  if (typeof exp === 'string' || Array.isArray(exp)) return ['.'];
  if (typeof exp !== 'object' || exp === null) return ['.'];
  const keys = Object.keys(exp);
  if (!keys.some((k) => k.startsWith('.'))) return ['.']; // a conditions object for "."
  return keys.filter((k) => k.startsWith('.') && !k.endsWith('.json') && !k.includes('*'));
}

export interface ScratchOptions {
  /** package name → absolute path of its tarball */
  tarballs: ReadonlyMap<string, string>;
  /** Which of them the scratch project depends on directly (the rest come in through overrides). */
  direct: readonly string[];
  /** Extra dev dependencies (for the type check), name → range. */
  devDependencies?: Record<string, string>;
}

/**
 * The scratch project's package.json: depends on the tarballs through `file:` and overrides every
 * `@nanoclaw/*` to its tarball, so nothing under our scope is ever fetched from a registry.
 */
export function scratchManifest(opts: ScratchOptions): Record<string, unknown> {
  const fileSpec = (name: string) => `file:${opts.tarballs.get(name)}`;
  const dependencies = Object.fromEntries(opts.direct.map((n) => [n, fileSpec(n)]));
  const overrides = Object.fromEntries([...opts.tarballs.keys()].sort().map((n) => [n, fileSpec(n)]));
  return {
    name: 'nanoclaw-pack-check',
    version: '0.0.0',
    private: true,
    type: 'module',
    dependencies,
    ...(opts.devDependencies ? { devDependencies: opts.devDependencies } : {}),
    pnpm: { overrides, onlyBuiltDependencies: ['better-sqlite3'] },
  };
}

export interface SmokeCase {
  /** What the smoke does, for the log. */
  what: string;
  /**
   * Plain JavaScript (ESM, run by Node in the scratch project): the body of `async (pkg) => { ... }`, where
   * `pkg` is the package's main module; it returns a one-line summary, or throws.
   */
  body: string;
}

/**
 * One small smoke per package: import it by name from the installed tarball and do one real thing. Packages
 * without an entry are still imported (every export subpath) and must have exports.
 */
export const SMOKES: Readonly<Record<string, SmokeCase>> = {
  '@nanoclaw/core': {
    what: 'containerConfigSchema.parse({})',
    body: `
      const config = pkg.containerConfigSchema.parse({});
      if (typeof config !== 'object' || config === null) throw new Error('parse({}) returned ' + config);
      return 'containerConfigSchema.parse({}) -> {' + Object.keys(config).join(', ') + '}';
    `,
  },
  '@nanoclaw/db': {
    what: "openDatabase({ path: ':memory:' }), list tables, close",
    body: `
      const handle = await pkg.openDatabase({ path: ':memory:' });
      try {
        const tables = handle.sqlite
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
          .pluck()
          .all();
        if (tables.length === 0) throw new Error('no tables after migrating');
        return 'better-sqlite3 loaded, ' + tables.length + ' tables: ' + tables.join(', ');
      } finally {
        await handle.close();
      }
    `,
  },
  '@nanoclaw/group-queue': {
    what: 'createGroupQueue over createMemoryQueueStore runs one item',
    body: `
      const store = pkg.createMemoryQueueStore();
      const ran = [];
      const queue = pkg.createGroupQueue({ store, worker: async ({ item }) => { ran.push(item.payload); } });
      await queue.ready();
      const item = await queue.enqueue('smoke-group', 'hello');
      await Promise.race([
        queue.idle(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('queue not idle after 5 s')), 5000)),
      ]);
      await queue.shutdown();
      if (ran.length !== 1 || ran[0] !== 'hello') throw new Error('worker saw ' + JSON.stringify(ran));
      return 'item ' + item.id + ' ran once; depth ' + JSON.stringify(queue.depth());
    `,
  },
  '@nanoclaw/scheduler': {
    what: 'createScheduler over createMemoryTaskStore fires one once-task',
    body: `
      const store = pkg.createMemoryTaskStore();
      const fired = [];
      const scheduler = pkg.createScheduler({
        store,
        timezone: 'UTC',
        onRun: async (run) => { fired.push(run.taskId); return { status: 'succeeded', summary: 'pong' }; },
      });
      await scheduler.start();
      try {
        const task = await scheduler.createTask({
          groupId: 'smoke-group',
          prompt: 'ping',
          schedule: { kind: 'once', at: new Date(Date.now() + 50).toISOString() },
        });
        const deadline = Date.now() + 5000;
        let runs = [];
        while (Date.now() < deadline) {
          runs = await scheduler.listRuns({ taskId: task.id, limit: 5 });
          if (runs.length > 0 && runs[0].status !== 'running') break;
          await new Promise((r) => setTimeout(r, 10));
        }
        if (fired.length !== 1 || fired[0] !== task.id) throw new Error('onRun saw ' + JSON.stringify(fired));
        if (runs[0]?.status !== 'succeeded') throw new Error('run log: ' + JSON.stringify(runs));
        return 'once-task ' + task.id + ' fired once, run ' + runs[0].status;
      } finally {
        await scheduler.stop();
      }
    `,
  },
};

export interface SmokeTarget {
  name: string;
  subpaths: readonly string[];
}

/**
 * The ESM smoke script run in the scratch project: for each package, checks it resolves inside the scratch
 * project (not the workspace), imports every export subpath, runs its smoke case, and prints `ok`/`FAIL`
 * lines. Exit code 1 when anything failed.
 */
export function renderSmokeScript(targets: readonly SmokeTarget[]): string {
  const cases = targets.map((t) => {
    const smoke = SMOKES[t.name];
    const run = smoke ? `async (pkg) => {${smoke.body}}` : 'undefined';
    return `  { name: ${JSON.stringify(t.name)}, subpaths: ${JSON.stringify(t.subpaths)}, run: ${run} },`;
  });
  return `// Generated by scripts/check-pack.ts
import { fileURLToPath } from 'node:url';

const scratch = fileURLToPath(new URL('.', import.meta.url));
const cases = [
${cases.join('\n')}
];

let failed = 0;
for (const c of cases) {
  const started = performance.now();
  try {
    const resolved = fileURLToPath(import.meta.resolve(c.name));
    if (!resolved.startsWith(scratch)) throw new Error(c.name + ' resolved outside the scratch project: ' + resolved);
    const pkg = await import(c.name);
    for (const sub of c.subpaths) if (sub !== '.') await import(c.name + sub.slice(1));
    let detail;
    if (c.run) detail = await c.run(pkg);
    else {
      const names = Object.keys(pkg);
      if (names.length === 0) throw new Error('the package has no exports');
      detail = 'imported, ' + names.length + ' exports (no smoke case in scripts/pack-check.ts)';
    }
    console.log('ok   ' + c.name + ': ' + detail + ' [' + (performance.now() - started).toFixed(0) + ' ms]');
  } catch (error) {
    failed += 1;
    console.log('FAIL ' + c.name + ': ' + (error && error.stack ? error.stack : String(error)));
  }
}
process.exit(failed === 0 ? 0 : 1);
`;
}

/** A consumer-side type check: imports every export subpath under strict NodeNext with skipLibCheck off. */
export function renderTypesCheck(targets: readonly SmokeTarget[]): { source: string; tsconfig: string } {
  const lines: string[] = [];
  let i = 0;
  for (const t of targets) {
    for (const sub of t.subpaths) {
      const spec = sub === '.' ? t.name : t.name + sub.slice(1);
      lines.push(`import * as m${i} from '${spec}';`);
      i += 1;
    }
  }
  lines.push(`export const modules = [${Array.from({ length: i }, (_, k) => `m${k}`).join(', ')}];`);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
    },
    files: ['types-check.mts'],
  };
  return { source: `${lines.join('\n')}\n`, tsconfig: `${JSON.stringify(tsconfig, null, 2)}\n` };
}

/**
 * Packages whose README example is run as written in the scratch project (the first ```ts block, which must
 * be plain JavaScript apart from the fence), against a loopback fake model server the check starts: `replace`
 * swaps the example's placeholder URL for the fake's, and the output must match `expect`.
 */
export interface ReadmeRun {
  /** Which fake from @nanoclaw/testing serves the example (none: the example needs no model). */
  fake?: 'responses' | 'anthropic' | 'chat-completions';
  /** Placeholder URL in the example → replaced by the fake's base URL. */
  placeholder?: string;
  /** Env the example process gets besides PATH and a fresh HOME. */
  env?: Readonly<Record<string, string>>;
  expect: RegExp;
}

export const README_RUNS: Readonly<Record<string, ReadmeRun>> = {
  '@nanoclaw/provider-codex': {
    fake: 'responses',
    placeholder: 'http://127.0.0.1:8000/v1',
    expect: /turn-start[\s\S]*text-delta[\s\S]*turn-end/,
  },
  '@nanoclaw/provider-claude': {
    fake: 'anthropic',
    placeholder: 'https://api.anthropic.com',
    env: { ANTHROPIC_API_KEY: 'sk-ant-pack-check-not-real' },
    expect: /\[completed\]/,
  },
  '@nanoclaw/provider-opencode': {
    fake: 'chat-completions',
    placeholder: 'http://127.0.0.1:8000/v1',
    expect: /turn-start[\s\S]*text-delta[\s\S]*turn-end/,
  },
  '@nanoclaw/provider-mock': {
    expect: /turn-end/,
  },
};

/** The first ```ts block of a README, or undefined. */
export function readmeExample(readme: string): string | undefined {
  const match = /```ts\n([\s\S]*?)```/.exec(readme);
  return match?.[1];
}
