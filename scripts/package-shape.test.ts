import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkTsupConfig,
  checkWorkspace,
  findExportStar,
  findImports,
  formatViolation,
  hasInstallLine,
  isTestOnlyFile,
  packageNameOf,
  type RuleId,
  type Violation,
} from './package-shape.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmpRoots: string[] = [];
afterAll(() => {
  for (const dir of tmpRoots) fs.rmSync(dir, { recursive: true, force: true });
});

type Files = Record<string, string | null>;

const TSUP = `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
});
`;

function manifest(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      name: `@nanoclaw/${name}`,
      version: '0.1.0',
      license: 'MIT',
      type: 'module',
      sideEffects: false,
      engines: { node: '>=20.19' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      files: ['dist', 'README.md'],
      ...extra,
    },
    null,
    2,
  );
}

function readme(name: string): string {
  return `# @nanoclaw/${name}\n\n\`\`\`sh\npnpm add @nanoclaw/${name}\n\`\`\`\n\n\`\`\`ts\nimport {} from '@nanoclaw/${name}';\n\`\`\`\n`;
}

/** A workspace where everything passes: core, a library "widget" on top of it, and an app. */
function goodWorkspace(): Files {
  return {
    'packages/core/package.json': manifest('core', {
      dependencies: { zod: '^4.1.0' },
      devDependencies: { vitest: '^4.1.12' },
    }),
    'packages/core/tsup.config.ts': TSUP,
    'packages/core/README.md': readme('core'),
    'packages/core/src/index.ts': "export { coreThing } from './thing.js';\n",
    'packages/core/src/thing.ts': "import { z } from 'zod';\nexport const coreThing = z.string();\n",
    'packages/core/src/thing.test.ts': "import { it } from 'vitest';\nit('works', () => {});\n",

    'packages/widget/package.json': manifest('widget', {
      dependencies: { '@nanoclaw/core': 'workspace:^', kysely: '^0.28.0' },
      peerDependencies: { '@scope/peer': '^1.0.0' },
      optionalDependencies: { 'opt-dep': '^1.0.0' },
      devDependencies: { vitest: '^4.1.12', '@nanoclaw/db': 'workspace:^', '@types/better-sqlite3': '^7' },
    }),
    'packages/widget/tsup.config.ts': TSUP,
    'packages/widget/README.md': readme('widget'),
    'packages/widget/src/index.ts': [
      "export type { Widget } from './widget.js';",
      "export { makeWidget } from './widget.js';",
      '',
    ].join('\n'),
    'packages/widget/src/widget.ts': [
      "import fs from 'node:fs';",
      "import path from 'path';",
      "import { readFile } from 'fs/promises';",
      "import type { Kysely } from 'kysely';",
      "import { coreThing } from '@nanoclaw/core';",
      "import { thing } from '@scope/peer/sub/path';",
      "import { self } from '@nanoclaw/widget';",
      "// import { nope } from 'commented-out';",
      'const text = "import { nope } from \'in-a-string\'";',
      "export type Lazy = typeof import('kysely');",
      "export async function makeWidget() { return import('opt-dep'); }",
      'export interface Widget { db?: Kysely<unknown> }',
      'export { fs, path, readFile, coreThing, thing, self, text };',
      '',
    ].join('\n'),
    'packages/widget/src/internal/helper.ts': "export { makeWidget } from '../widget.js';\n",
    'packages/widget/src/widget.test.ts': [
      "import { it } from 'vitest';",
      "import { openDatabase } from '@nanoclaw/db';",
      "import type Database from 'better-sqlite3';",
      "it('works', () => { void openDatabase; const d: Database.Database | undefined = undefined; void d; });",
      '',
    ].join('\n'),
    'packages/widget/src/__fixtures__/fixture.ts': "export { openDatabase } from '@nanoclaw/db';\n",
    'packages/widget/src/test-utils/make.ts': "export { describe } from 'vitest';\n",

    'apps/app/package.json': manifest('app', {
      private: true,
      dependencies: { '@nanoclaw/core': 'workspace:^', '@nanoclaw/widget': 'workspace:^' },
      devDependencies: { vitest: '^4.1.12' },
    }),
    'apps/app/tsup.config.ts': TSUP.replace("['src/index.ts']", "['src/index.ts', 'src/cli.ts']"),
    'apps/app/README.md': '# app\n\nRun it.\n',
    'apps/app/src/index.ts': "export { makeWidget } from '@nanoclaw/widget';\n",
    'apps/app/src/cli.ts': "import { makeWidget } from './index.js';\nvoid makeWidget;\n",
    'apps/app/src/cli.test.ts': "import { it } from 'vitest';\nit('runs', () => {});\n",

    'apps/web/package.json': JSON.stringify({
      name: '@nanoclaw/web',
      version: '0.1.0',
      license: 'MIT',
      type: 'module',
      private: true,
      engines: { node: '>=20.19' },
      exports: { './package.json': './package.json', './dist/*': './dist/*' },
      files: ['dist', 'README.md'],
      dependencies: { preact: '^11.2.0' },
      devDependencies: { vite: '^8.3.8', vitest: '^4.1.12' },
    }),
    'apps/web/vite.config.ts': "import { defineConfig } from 'vite';\nexport default defineConfig({});\n",
    'apps/web/index.html': '<script type="module" src="/src/main.tsx"></script>\n',
    'apps/web/README.md': '# web\n\nServed by the app.\n',
    'apps/web/src/main.tsx': "import { render } from 'preact';\nrender(<p>hi</p>, document.body);\n",
    'apps/web/src/main.test.tsx': "import { it } from 'vitest';\nit('renders', () => {});\n",
  };
}

function writeWorkspace(files: Files): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-shape-'));
  tmpRoots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    if (content === null) continue;
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

/** The good workspace with `changes` applied (`null` deletes a file), checked. */
function check(changes: Files = {}): Violation[] {
  return checkWorkspace(writeWorkspace({ ...goodWorkspace(), ...changes }));
}

/** The good workspace plus `packages/widget/src/extra.ts` with this source, checked. */
function checkExtra(source: string): Violation[] {
  return check({ 'packages/widget/src/extra.ts': source });
}

function editManifest(name: string, edit: (m: Record<string, unknown>) => void, folder = 'packages'): Files {
  const key = `${folder}/${name}/package.json`;
  const m = JSON.parse(goodWorkspace()[key]!) as Record<string, unknown>;
  edit(m);
  return { [key]: JSON.stringify(m) };
}

/** Exactly these rules fire, for this package, and nothing else anywhere. */
function expectOnly(violations: Violation[], dir: string, ...rules: RuleId[]) {
  expect(violations.map((v) => `${v.dir} ${v.rule}`).sort()).toEqual(rules.map((r) => `${dir} ${r}`).sort());
}

describe('checkWorkspace on a temp workspace', () => {
  it('passes a well-shaped workspace (libraries, peers, optional deps, fixtures, app)', () => {
    expect(check()).toEqual([]);
  });

  it('flags a wrong package name', () => {
    const v = check(editManifest('widget', (m) => (m.name = '@nanoclaw/widgets')));
    expectOnly(v, 'packages/widget', 'name');
    expect(formatViolation(v[0]!)).toBe(
      'packages/widget: [name] name must be "@nanoclaw/widget" (found "@nanoclaw/widgets")',
    );
  });

  it('flags a missing exports map', () => {
    expectOnly(check(editManifest('widget', (m) => delete m.exports)), 'packages/widget', 'exports');
  });

  it('flags an exports "." without types, and types not first', () => {
    expectOnly(
      check(editManifest('widget', (m) => (m.exports = { '.': { import: './dist/index.js' } }))),
      'packages/widget',
      'exports',
    );
    expectOnly(
      check(
        editManifest(
          'widget',
          (m) => (m.exports = { '.': { import: './dist/index.js', types: './dist/index.d.ts' } }),
        ),
      ),
      'packages/widget',
      'exports',
    );
  });

  it('requires "./test" in exports and tsup entries exactly when src/test.ts exists', () => {
    const withTestEntry: Files = {
      'packages/widget/src/test.ts': "export { coreThing as fake } from '@nanoclaw/core';\n",
    };
    expectOnly(check(withTestEntry), 'packages/widget', 'exports', 'tsup');
    expect(
      check({
        ...withTestEntry,
        ...editManifest('widget', (m) => {
          m.exports = {
            '.': { types: './dist/index.d.ts', import: './dist/index.js' },
            './test': { types: './dist/test.d.ts', import: './dist/test.js' },
          };
        }),
        'packages/widget/tsup.config.ts': TSUP.replace("['src/index.ts']", "['src/index.ts', 'src/test.ts']"),
      }),
    ).toEqual([]);
    expectOnly(
      check(
        editManifest('widget', (m) => {
          m.exports = {
            '.': { types: './dist/index.d.ts', import: './dist/index.js' },
            './test': { types: './dist/test.d.ts', import: './dist/test.js' },
          };
        }),
      ),
      'packages/widget',
      'exports',
    );
  });

  it('flags `export *` in the barrel', () => {
    const v = check({
      'packages/widget/src/index.ts': "export * from './widget.js';\nexport * as ns from './widget.js';\n",
    });
    expectOnly(v, 'packages/widget', 'barrel', 'barrel');
    expect(v[0]!.message).toContain('src/index.ts:1');
  });

  it('flags imports of undeclared packages (static, type-only, dynamic, subpath)', () => {
    for (const line of [
      "import { x } from 'left-pad';",
      "import type { X } from 'left-pad';",
      "export { x } from 'left-pad';",
      "export const load = () => import('left-pad');",
      "export type T = typeof import('left-pad');",
      "import { x } from 'left-pad/sub/module.js';",
    ]) {
      const v = checkExtra(`${line}\n`);
      expectOnly(v, 'packages/widget', 'undeclared-import');
      expect(v[0]!.message).toBe('src/extra.ts:1 imports "left-pad", which package.json does not declare');
    }
    expectOnly(checkExtra("import { y } from '@other/pkg/deep';\n"), 'packages/widget', 'undeclared-import');
  });

  it('flags undeclared imports in test files too', () => {
    expectOnly(
      check({ 'packages/widget/src/extra.test.ts': "import { x } from 'left-pad';\n" }),
      'packages/widget',
      'undeclared-import',
    );
  });

  it('flags a devDependency used in shipped source, including src/test.ts', () => {
    const v = checkExtra("import { openDatabase } from '@nanoclaw/db';\n");
    expectOnly(v, 'packages/widget', 'dev-dependency-in-source');
    expect(v[0]!.message).toContain('"@nanoclaw/db", which is only a devDependency');

    const shippedTestEntry = check({
      'packages/widget/src/test.ts': "export { vi } from 'vitest';\n",
      ...editManifest('widget', (m) => {
        m.exports = {
          '.': { types: './dist/index.d.ts', import: './dist/index.js' },
          './test': { types: './dist/test.d.ts', import: './dist/test.js' },
        };
      }),
      'packages/widget/tsup.config.ts': TSUP.replace("['src/index.ts']", "['src/index.ts', 'src/test.ts']"),
    });
    expectOnly(shippedTestEntry, 'packages/widget', 'dev-dependency-in-source');
  });

  it('lets shipped source import a devDependency that tsup inlines (noExternal)', () => {
    const inlined = check({
      'packages/widget/src/extra.ts': "import { openDatabase } from '@nanoclaw/db';\n",
      'packages/widget/tsup.config.ts': TSUP.replace(
        "format: ['esm'],",
        "format: ['esm'],\n  noExternal: ['@nanoclaw/db'],",
      ),
    });
    expect(inlined.filter((v) => v.rule === 'dev-dependency-in-source')).toEqual([]);
  });

  it('flags a missing README, and a library README without install line or ts block', () => {
    expectOnly(check({ 'packages/widget/README.md': null }), 'packages/widget', 'readme');
    expectOnly(
      check({ 'packages/widget/README.md': '# widget\n\n```ts\nconst x = 1;\n```\n' }),
      'packages/widget',
      'readme',
    );
    expectOnly(
      check({ 'packages/widget/README.md': '# widget\n\n    npm install @nanoclaw/widget\n' }),
      'packages/widget',
      'readme',
    );
    expectOnly(check({ 'apps/app/README.md': null }), 'apps/app', 'readme');
  });

  it('flags a package without co-located tests', () => {
    expectOnly(check({ 'packages/widget/src/widget.test.ts': null }), 'packages/widget', 'tests');
  });

  it('flags a tsup config without dts, without ESM, or missing the index entry', () => {
    const v = check({ 'packages/widget/tsup.config.ts': TSUP.replace('dts: true', 'dts: false') });
    expectOnly(v, 'packages/widget', 'tsup');
    expect(v[0]!.message).toBe('tsup.config.ts must emit declarations (dts: true)');
    expectOnly(
      check({ 'packages/widget/tsup.config.ts': TSUP.replace('  dts: true,\n', '') }),
      'packages/widget',
      'tsup',
    );
    expectOnly(
      check({ 'packages/widget/tsup.config.ts': TSUP.replace("['esm']", "['esm', 'cjs']") }),
      'packages/widget',
      'tsup',
    );
    expectOnly(
      check({ 'packages/widget/tsup.config.ts': TSUP.replace("['src/index.ts']", "['src/main.ts']") }),
      'packages/widget',
      'tsup',
    );
    expectOnly(check({ 'packages/widget/tsup.config.ts': null }), 'packages/widget', 'tsup');
  });

  it('flags library/app flags: sideEffects, private, type, engines, files, license', () => {
    expectOnly(check(editManifest('widget', (m) => delete m.sideEffects)), 'packages/widget', 'side-effects');
    expectOnly(check(editManifest('widget', (m) => (m.private = true))), 'packages/widget', 'private');
    expectOnly(check(editManifest('app', (m) => delete m.private, 'apps')), 'apps/app', 'private');
    expectOnly(check(editManifest('widget', (m) => (m.type = 'commonjs'))), 'packages/widget', 'type-module');
    expectOnly(check(editManifest('widget', (m) => delete m.engines)), 'packages/widget', 'engines');
    expectOnly(check(editManifest('widget', (m) => delete m.files)), 'packages/widget', 'files');
    expectOnly(check(editManifest('widget', (m) => delete m.license)), 'packages/widget', 'license');
  });

  it('requires every library except core to depend on @nanoclaw/core (deps or peers)', () => {
    const v = check(
      editManifest('widget', (m) => {
        m.dependencies = { kysely: '^0.28.0' };
      }),
    );
    // The source still imports @nanoclaw/core, so that import is undeclared as well.
    expectOnly(v, 'packages/widget', 'core-dependency', 'undeclared-import');
    expect(
      check(
        editManifest('widget', (m) => {
          m.dependencies = { kysely: '^0.28.0' };
          m.peerDependencies = { '@scope/peer': '^1.0.0', '@nanoclaw/core': '^0.1.0' };
        }),
      ),
    ).toEqual([]);
  });

  it('flags packages importing app code through a relative path, and depending on apps', () => {
    const v = checkExtra("import { x } from '../../../apps/app/src/index.js';\n");
    expectOnly(v, 'packages/widget', 'import-outside-package');
    expect(v[0]!.message).toContain('packages must never import from apps/');
    expectOnly(
      checkExtra("import { x } from '../../core/src/index.js';\n"),
      'packages/widget',
      'import-outside-package',
    );
    expectOnly(
      check(
        editManifest('widget', (m) => {
          m.dependencies = { ...(m.dependencies as object), '@nanoclaw/app': 'workspace:^' };
        }),
      ),
      'packages/widget',
      'layering',
    );
  });

  it('holds a web app (vite.config.ts, no tsup) to its own exports and entry, and the shared rules', () => {
    const webManifest = (edit: (m: Record<string, unknown>) => void) => editManifest('web', edit, 'apps');
    expectOnly(
      check(
        webManifest((m) => (m.exports = { '.': { types: './dist/index.d.ts', import: './dist/index.js' } })),
      ),
      'apps/web',
      'exports',
      'exports',
    );
    expectOnly(check({ 'apps/web/index.html': null }), 'apps/web', 'web-app');
    expectOnly(check(webManifest((m) => delete m.private)), 'apps/web', 'private');
    expectOnly(
      check({ 'apps/web/src/extra.ts': "import uPlot from 'uplot';\nexport { uPlot };\n" }),
      'apps/web',
      'undeclared-import',
    );
    expectOnly(
      check({ 'apps/web/src/extra.ts': "import { defineConfig } from 'vite';\nexport { defineConfig };\n" }),
      'apps/web',
      'dev-dependency-in-source',
    );
    // With a tsup.config.ts it is a Node app again: the "." export, tsup entry and barrel rules come back.
    const asNodeApp = check({ 'apps/web/tsup.config.ts': TSUP });
    expect(asNodeApp.filter((v) => v.dir === 'apps/web').map((v) => v.rule)).toEqual(
      expect.arrayContaining(['exports', 'barrel']),
    );
  });

  it('reports a directory without package.json', () => {
    expectOnly(check({ 'packages/empty/src/index.ts': '' }), 'packages/empty', 'package-json');
  });
});

describe('helpers', () => {
  it('packageNameOf', () => {
    expect(packageNameOf('zod')).toBe('zod');
    expect(packageNameOf('zod/v4')).toBe('zod');
    expect(packageNameOf('@nanoclaw/core')).toBe('@nanoclaw/core');
    expect(packageNameOf('@a/b/sub/x.js')).toBe('@a/b');
    for (const notAPackage of [
      'node:fs',
      'fs',
      'fs/promises',
      'child_process',
      './x.js',
      '../y',
      '#internal',
    ]) {
      expect(packageNameOf(notAPackage)).toBeNull();
    }
  });

  it('findImports ignores comments and strings and reports lines', () => {
    const found = findImports(
      [
        '/* import a from "no-1" */',
        "import b from 'yes-1';",
        "const s = `import c from 'no-2'`;",
        "import x = require('yes-2');",
        "const r = require('yes-3');",
        "export * from 'yes-4';",
      ].join('\n'),
    );
    expect(found).toEqual([
      { specifier: 'yes-1', line: 2 },
      { specifier: 'yes-2', line: 4 },
      { specifier: 'yes-3', line: 5 },
      { specifier: 'yes-4', line: 6 },
    ]);
  });

  it('findExportStar only flags star re-exports', () => {
    expect(
      findExportStar("export { a } from './a.js';\nexport type * from './t.js';\n// export * from 'x'\n"),
    ).toEqual([2]);
  });

  it('checkTsupConfig reads arrays, object entries, globs and variables', () => {
    expect(
      checkTsupConfig(
        "const opts = { entry: { index: 'src/index.ts', test: 'src/test.ts' }, format: 'esm', dts: true };\nexport default defineConfig(opts);",
        ['src/index.ts', 'src/test.ts'],
      ),
    ).toEqual([]);
    expect(
      checkTsupConfig(
        "export default [{ entry: ['./src/*.ts'], format: ['esm'], dts: { resolve: true } }];",
        ['src/index.ts'],
      ),
    ).toEqual([]);
    expect(checkTsupConfig('export default defineConfig(makeConfig());', ['src/index.ts'])).toHaveLength(1);
  });

  it('checkTsupConfig follows a spread of a shared base imported relatively, later keys overriding', () => {
    const base = "export const packageBuild = { format: ['esm'], dts: true, clean: true };\n";
    const config = (extra = '') =>
      `import { defineConfig } from 'tsup';\nimport { packageBuild } from '../../tsup.base';\nexport default defineConfig({ ...packageBuild, entry: ['src/index.ts']${extra} });\n`;
    const read = (specifier: string) => (specifier === '../../tsup.base' ? base : undefined);
    expect(checkTsupConfig(config(), ['src/index.ts'], read)).toEqual([]);
    expect(checkTsupConfig(config(', dts: false'), ['src/index.ts'], read)).toEqual([
      'tsup.config.ts must emit declarations (dts: true)',
    ]);
    // Unreadable base: nothing is claimed about format or dts, so neither is proven.
    expect(checkTsupConfig(config(), ['src/index.ts'], () => undefined)).toHaveLength(2);
  });

  it('reads a shared tsup base from the workspace root, and the devDependencies it inlines', () => {
    const base =
      "export const packageBuild = { format: ['esm'], dts: true };\nexport const inlining = { ...packageBuild, noExternal: ['@nanoclaw/db'] };\n";
    const widgetTsup =
      "import { defineConfig } from 'tsup';\nimport { inlining } from '../../tsup.base';\nexport default defineConfig({ ...inlining, entry: ['src/index.ts'] });\n";
    const imports = "import { db } from '@nanoclaw/db';\nexport const x = db;\n";
    const files = { 'tsup.base.ts': base, 'packages/widget/tsup.config.ts': widgetTsup };
    expect(check({ ...files, 'packages/widget/src/extra.ts': imports })).toEqual([]);
    const withoutDts = { ...files, 'tsup.base.ts': base.replace('dts: true', 'dts: false') };
    expectOnly(check(withoutDts), 'packages/widget', 'tsup');
  });

  it('isTestOnlyFile', () => {
    expect(isTestOnlyFile('a.test.ts')).toBe(true);
    expect(isTestOnlyFile('deep/a.test.ts')).toBe(true);
    expect(isTestOnlyFile('__fixtures__/x.ts')).toBe(true);
    expect(isTestOnlyFile('test-utils/x.ts')).toBe(true);
    expect(isTestOnlyFile('test-utils.ts')).toBe(true);
    expect(isTestOnlyFile('test.ts')).toBe(false);
    expect(isTestOnlyFile('index.ts')).toBe(false);
  });

  it('hasInstallLine', () => {
    expect(hasInstallLine('npm install @nanoclaw/db', '@nanoclaw/db')).toBe(true);
    expect(hasInstallLine('`pnpm add @nanoclaw/db@^0.1 zod`', '@nanoclaw/db')).toBe(true);
    expect(hasInstallLine('pnpm add -D vitest @nanoclaw/db', '@nanoclaw/db')).toBe(true);
    expect(hasInstallLine('npm install @nanoclaw/db-extra', '@nanoclaw/db')).toBe(false);
    expect(hasInstallLine('install @nanoclaw/db with npm', '@nanoclaw/db')).toBe(false);
  });
});

describe('the real workspace', () => {
  it.each(['packages/core', 'packages/db', 'apps/dashboard'])('%s has no shape violations', (dir) => {
    expect(checkWorkspace(repoRoot, [dir]).map(formatViolation)).toEqual([]);
  });
});
