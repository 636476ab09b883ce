import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exportSubpaths,
  exportTargets,
  readLibraries,
  renderSmokeScript,
  renderTypesCheck,
  resolveLibrary,
  SMOKES,
  scratchManifest,
  type WorkspaceLibrary,
  withWorkspaceDependencies,
} from './pack-check.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmpRoots: string[] = [];
afterAll(() => {
  for (const dir of tmpRoots) fs.rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-pack-test-'));
  tmpRoots.push(dir);
  return dir;
}

function lib(name: string, manifest: Record<string, unknown> = {}): WorkspaceLibrary {
  const short = name.replace('@nanoclaw/', '');
  return { name, dir: `packages/${short}`, absDir: `/ws/packages/${short}`, manifest: { name, ...manifest } };
}

describe('what gets packed', () => {
  const libs = new Map(
    [
      lib('@nanoclaw/core'),
      lib('@nanoclaw/db', { dependencies: { '@nanoclaw/core': 'workspace:^', kysely: '^0.28' } }),
      lib('@nanoclaw/scheduler', {
        peerDependencies: { '@nanoclaw/core': 'workspace:^' },
        devDependencies: { '@nanoclaw/db': 'workspace:^' },
      }),
    ].map((l) => [l.name, l]),
  );

  it('adds runtime workspace dependencies (not dev ones), dependencies first', () => {
    expect(withWorkspaceDependencies(libs, [libs.get('@nanoclaw/db')!]).map((l) => l.name)).toEqual([
      '@nanoclaw/core',
      '@nanoclaw/db',
    ]);
    expect(withWorkspaceDependencies(libs, [libs.get('@nanoclaw/scheduler')!]).map((l) => l.name)).toEqual([
      '@nanoclaw/core',
      '@nanoclaw/scheduler',
    ]);
  });

  it('resolves short names, dirs and package names; rejects unknown ones', () => {
    expect((resolveLibrary(libs, 'db') as WorkspaceLibrary).name).toBe('@nanoclaw/db');
    expect((resolveLibrary(libs, 'packages/db/') as WorkspaceLibrary).name).toBe('@nanoclaw/db');
    expect((resolveLibrary(libs, '@nanoclaw/core') as WorkspaceLibrary).name).toBe('@nanoclaw/core');
    expect(resolveLibrary(libs, 'host')).toMatch(/no publishable package "host"/);
  });

  it('reads the real workspace libraries (apps excluded)', () => {
    const real = readLibraries(repoRoot);
    expect(real.has('@nanoclaw/core')).toBe(true);
    expect(real.has('@nanoclaw/db')).toBe(true);
    expect(real.has('@nanoclaw/host')).toBe(false);
  });

  it('lists export targets and import subpaths', () => {
    const manifest = {
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js' },
        './test': { types: './dist/test.d.ts', import: './dist/test.js' },
        './package.json': './package.json',
      },
    };
    expect(exportTargets(manifest)).toEqual([
      'dist/index.d.ts',
      'dist/index.js',
      'dist/test.d.ts',
      'dist/test.js',
      'package.json',
    ]);
    expect(exportSubpaths(manifest)).toEqual(['.', './test']);
    expect(exportSubpaths({ exports: { types: './a.d.ts', import: './a.js' } })).toEqual(['.']);
  });
});

describe('scratch project', () => {
  it('depends on the tarballs and overrides every @nanoclaw package to its tarball', () => {
    const tarballs = new Map([
      ['@nanoclaw/core', '/t/nanoclaw-core-0.1.0.tgz'],
      ['@nanoclaw/db', '/t/nanoclaw-db-0.1.0.tgz'],
    ]);
    expect(scratchManifest({ tarballs, direct: ['@nanoclaw/db'] })).toEqual({
      name: 'nanoclaw-pack-check',
      version: '0.0.0',
      private: true,
      type: 'module',
      dependencies: { '@nanoclaw/db': 'file:/t/nanoclaw-db-0.1.0.tgz' },
      pnpm: {
        overrides: {
          '@nanoclaw/core': 'file:/t/nanoclaw-core-0.1.0.tgz',
          '@nanoclaw/db': 'file:/t/nanoclaw-db-0.1.0.tgz',
        },
        onlyBuiltDependencies: ['better-sqlite3'],
      },
    });
  });

  it('has a smoke case for core, db, group-queue and scheduler', () => {
    expect(Object.keys(SMOKES).sort()).toEqual([
      '@nanoclaw/core',
      '@nanoclaw/db',
      '@nanoclaw/group-queue',
      '@nanoclaw/scheduler',
    ]);
  });

  it('renders a type-check that imports every subpath', () => {
    const { source, tsconfig } = renderTypesCheck([{ name: '@nanoclaw/x', subpaths: ['.', './test'] }]);
    expect(source).toContain("import * as m0 from '@nanoclaw/x';");
    expect(source).toContain("import * as m1 from '@nanoclaw/x/test';");
    expect(JSON.parse(tsconfig).compilerOptions.skipLibCheck).toBe(false);
  });

  /** A fake installed package in a scratch dir, and the smoke script run against it. */
  function runSmoke(name: string, files: Record<string, string>, subpaths: string[] = ['.']) {
    const scratch = tmp();
    const pkgDir = path.join(scratch, 'node_modules', ...name.split('/'));
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(pkgDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(pkgDir, rel), content);
    }
    fs.writeFileSync(path.join(scratch, 'smoke.mjs'), renderSmokeScript([{ name, subpaths }]));
    return spawnSync(process.execPath, ['smoke.mjs'], { cwd: scratch, encoding: 'utf8' });
  }

  /** `@nanoclaw/fake` with `.` → index.js and `./test` → `testTarget`, plus `more` files. */
  function fakePackage(testTarget: string, more: Record<string, string> = {}): Record<string, string> {
    return {
      'package.json': JSON.stringify({
        name: '@nanoclaw/fake',
        type: 'module',
        exports: { '.': './index.js', './test': testTarget },
      }),
      'index.js': 'export const a = 1;\n',
      ...more,
    };
  }

  it('the generated smoke script imports every subpath and passes a healthy package', () => {
    const res = runSmoke('@nanoclaw/fake', fakePackage('./test.js', { 'test.js': 'export const b = 2;\n' }), [
      '.',
      './test',
    ]);
    expect(res.stdout).toMatch(/^ok {3}@nanoclaw\/fake: imported, 1 exports/m);
    expect(res.status).toBe(0);
  });

  it('the generated smoke script fails on a broken subpath or a failing smoke case', () => {
    const broken = runSmoke('@nanoclaw/fake', fakePackage('./missing.js'), ['.', './test']);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/^FAIL @nanoclaw\/fake: /m);

    const badCore = runSmoke('@nanoclaw/core', {
      'package.json': JSON.stringify({ name: '@nanoclaw/core', type: 'module', exports: './index.js' }),
      'index.js': 'export const containerConfigSchema = { parse() { throw new Error("boom"); } };\n',
    });
    expect(badCore.status).toBe(1);
    expect(badCore.stdout).toContain('boom');
  });
});
