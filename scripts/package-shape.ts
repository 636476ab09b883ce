/**
 * Package-shape rules for the NanoClaw workspace. `checkWorkspace(rootDir)` returns every violation for every
 * directory in `packages/*` (libraries) and `apps/*` (applications); `scripts/check-package-shape.ts` is the CLI.
 *
 * Everything is read statically (package.json as JSON, TypeScript through the compiler's parser), so the check
 * works on a fresh clone before `pnpm install` has built anything, and on throwaway workspaces in tests.
 *
 * A web app (an app with `vite.config.ts` and no `tsup.config.ts`, such as apps/dashboard) ships static files for
 * a browser, not a Node module: it has no `.` export with types, no tsup build and no src/index.ts barrel. It
 * must instead export `./package.json` and `./dist/*` (how the host finds its files) and have an `index.html`
 * entry; every other rule (name, private, engines, files, readme, tests, declared imports) applies as to any app.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export type PackageKind = 'library' | 'app';

export type RuleId =
  | 'package-json'
  | 'name'
  | 'type-module'
  | 'engines'
  | 'exports'
  | 'files'
  | 'license'
  | 'side-effects'
  | 'private'
  | 'tsup'
  | 'readme'
  | 'tests'
  | 'barrel'
  | 'undeclared-import'
  | 'dev-dependency-in-source'
  | 'import-outside-package'
  | 'core-dependency'
  | 'layering'
  | 'web-app';

export interface Violation {
  /** Package directory relative to the workspace root, with forward slashes: `packages/db`. */
  dir: string;
  rule: RuleId;
  message: string;
}

/** Where packages live, and what kind they are. */
export const PACKAGE_ROOTS: ReadonlyArray<{ folder: string; kind: PackageKind }> = [
  { folder: 'packages', kind: 'library' },
  { folder: 'apps', kind: 'app' },
];

export const SCOPE = '@nanoclaw';
export const CORE_PACKAGE = `${SCOPE}/core`;

/** One line per violation, as printed by the CLI: `<package dir>: [rule] message`. */
export function formatViolation(v: Violation): string {
  return `${v.dir}: [${v.rule}] ${v.message}`;
}

export interface WorkspacePackage {
  dir: string;
  absDir: string;
  kind: PackageKind;
}

/** Every directory under `packages/*` and `apps/*` (hidden directories skipped), sorted. */
export function listWorkspacePackages(rootDir: string): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const { folder, kind } of PACKAGE_ROOTS) {
    const base = path.join(rootDir, folder);
    if (!fs.existsSync(base)) continue;
    for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      out.push({ dir: `${folder}/${entry.name}`, absDir: path.join(base, entry.name), kind });
    }
  }
  return out.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Checks every workspace package; `only` (package dirs such as `packages/db`) narrows the set. */
export function checkWorkspace(rootDir: string, only?: readonly string[]): Violation[] {
  const packages = listWorkspacePackages(rootDir);
  const appNames = new Set(
    packages
      .filter((p) => p.kind === 'app')
      .map((p) => readJson(path.join(p.absDir, 'package.json'))?.name)
      .filter((n): n is string => typeof n === 'string'),
  );
  const selected = only ? packages.filter((p) => only.includes(p.dir)) : packages;
  return selected.flatMap((p) => checkPackage(p, { appNames }));
}

interface WorkspaceContext {
  /** Package names of everything under apps/: libraries must never depend on them. */
  appNames: ReadonlySet<string>;
}

type Manifest = Record<string, unknown>;
type DepMap = Record<string, string>;

export function checkPackage(
  pkg: WorkspacePackage,
  ctx: WorkspaceContext = { appNames: new Set() },
): Violation[] {
  const violations: Violation[] = [];
  const add = (rule: RuleId, message: string) => violations.push({ dir: pkg.dir, rule, message });
  const dirName = path.basename(pkg.absDir);
  const expectedName = `${SCOPE}/${dirName}`;
  const isLibrary = pkg.kind === 'library';
  const isWebApp = !isLibrary && isWebAppDir(pkg.absDir);

  const manifestPath = path.join(pkg.absDir, 'package.json');
  if (!fs.existsSync(manifestPath)) {
    add('package-json', 'package.json is missing');
    return violations;
  }
  const manifest = readJson(manifestPath);
  if (!manifest) {
    add('package-json', 'package.json is not a JSON object');
    return violations;
  }

  const srcDir = path.join(pkg.absDir, 'src');
  const hasTestEntry = fs.existsSync(path.join(srcDir, 'test.ts'));

  // --- package.json ---------------------------------------------------------------------------------------
  if (manifest.name !== expectedName) {
    add('name', `name must be "${expectedName}" (found ${JSON.stringify(manifest.name)})`);
  }
  if (manifest.type !== 'module') add('type-module', 'type must be "module"');
  const engines = manifest.engines as Manifest | undefined;
  if (!isObject(engines) || typeof engines.node !== 'string' || engines.node.trim() === '') {
    add('engines', 'engines.node must be set');
  }
  if (isWebApp) checkWebAppExports(manifest.exports, add);
  else checkExports(manifest.exports, hasTestEntry, add);
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) {
    add('files', 'files must be a non-empty array');
  } else if (!manifest.files.some((f) => typeof f === 'string' && /^(\.\/)?dist(\/|$)/.test(f))) {
    add('files', 'files must include "dist"');
  }
  if (typeof manifest.license !== 'string' || manifest.license.trim() === '') {
    add('license', 'license must be set');
  }
  if (isLibrary) {
    if (manifest.sideEffects !== false) add('side-effects', 'libraries must set "sideEffects": false');
    if (manifest.private === true) add('private', 'libraries must not be private (they are published)');
  } else if (manifest.private !== true) {
    add('private', 'apps must set "private": true');
  }

  const deps = depMap(manifest.dependencies);
  const peers = depMap(manifest.peerDependencies);
  const optional = depMap(manifest.optionalDependencies);
  const dev = depMap(manifest.devDependencies);
  const runtimeDeclared = new Set([...Object.keys(deps), ...Object.keys(peers), ...Object.keys(optional)]);
  const allDeclared = new Set([...runtimeDeclared, ...Object.keys(dev)]);
  /** devDependencies tsup inlines into dist (`noExternal`): shipped code may import them. */
  const bundled = inlinedByTsup(pkg.absDir);

  // --- layering --------------------------------------------------------------------------------------------
  if (isLibrary) {
    if (expectedName !== CORE_PACKAGE && !(CORE_PACKAGE in deps) && !(CORE_PACKAGE in peers)) {
      add('core-dependency', `libraries must declare ${CORE_PACKAGE} in dependencies or peerDependencies`);
    }
    if (expectedName === CORE_PACKAGE) {
      for (const name of runtimeDeclared) {
        if (name.startsWith(`${SCOPE}/`)) {
          add('layering', `${CORE_PACKAGE} is the bottom layer and must not depend on ${name}`);
        }
      }
    }
    for (const name of allDeclared) {
      if (ctx.appNames.has(name)) add('layering', `libraries must not depend on the app ${name}`);
    }
  }

  // --- tsup.config.ts --------------------------------------------------------------------------------------
  const tsupPath = path.join(pkg.absDir, 'tsup.config.ts');
  if (isWebApp) {
    if (!fs.existsSync(path.join(pkg.absDir, 'index.html')))
      add('web-app', 'index.html (the Vite entry) is missing');
  } else if (!fs.existsSync(tsupPath)) {
    add('tsup', 'tsup.config.ts is missing');
  } else {
    const required = ['src/index.ts', ...(hasTestEntry ? ['src/test.ts'] : [])];
    const readModule = (specifier: string) => readRelativeModule(pkg.absDir, specifier);
    for (const problem of checkTsupConfig(fs.readFileSync(tsupPath, 'utf8'), required, readModule)) {
      add('tsup', problem);
    }
  }

  // --- README.md -------------------------------------------------------------------------------------------
  const readmePath = path.join(pkg.absDir, 'README.md');
  if (!fs.existsSync(readmePath)) {
    add('readme', 'README.md is missing');
  } else if (isLibrary) {
    const readme = fs.readFileSync(readmePath, 'utf8');
    if (!hasInstallLine(readme, expectedName)) {
      add('readme', `README.md needs an install line (\`npm install ${expectedName}\` or \`pnpm add ...\`)`);
    }
    if (!/^[ \t]*(```|~~~)[ \t]*(ts|typescript)\b/im.test(readme)) {
      add('readme', 'README.md needs at least one ```ts usage block');
    }
  }

  // --- sources ---------------------------------------------------------------------------------------------
  const sources = fs.existsSync(srcDir) ? listSourceFiles(srcDir) : [];
  if (!sources.some((f) => isTestFile(f))) add('tests', 'no co-located tests (src/**/*.test.ts)');

  const indexPath = path.join(srcDir, 'index.ts');
  if (isWebApp) {
    // The entry is index.html → its module script; nothing imports the app as a module.
  } else if (!fs.existsSync(indexPath)) {
    add('barrel', 'src/index.ts is missing');
  } else {
    for (const line of findExportStar(fs.readFileSync(indexPath, 'utf8'))) {
      add('barrel', `src/index.ts:${line} uses \`export *\`; list the exports by name`);
    }
  }

  for (const file of sources) {
    const rel = toPosix(path.relative(pkg.absDir, file));
    const testOnly = isTestOnlyFile(path.relative(srcDir, file));
    for (const imp of findImports(fs.readFileSync(file, 'utf8'), file)) {
      const where = `${rel}:${imp.line}`;
      if (isRelative(imp.specifier)) {
        const target = path.resolve(path.dirname(file), imp.specifier);
        if (!isInside(pkg.absDir, target)) {
          const targetRel = toPosix(path.relative(path.dirname(pkg.absDir), target));
          const intoApps = toPosix(path.relative(path.resolve(pkg.absDir, '..', '..'), target)).startsWith(
            'apps/',
          );
          add(
            'import-outside-package',
            intoApps && isLibrary
              ? `${where} imports app code "${imp.specifier}"; packages must never import from apps/`
              : `${where} imports "${imp.specifier}" (${targetRel}) outside the package; depend on the package by name`,
          );
        }
        continue;
      }
      const name = packageNameOf(imp.specifier);
      if (name === null || name === expectedName) continue;
      const declaredFor = (set: ReadonlySet<string>) => set.has(name) || set.has(typesPackageFor(name));
      if (declaredFor(runtimeDeclared)) continue;
      if (bundled.has(name) && declaredFor(allDeclared)) continue;
      if (declaredFor(allDeclared)) {
        if (!testOnly) {
          add(
            'dev-dependency-in-source',
            `${where} imports "${name}", which is only a devDependency; shipped code may use dependencies/peerDependencies`,
          );
        }
        continue;
      }
      add('undeclared-import', `${where} imports "${name}", which package.json does not declare`);
    }
  }

  return violations;
}

// ---------------------------------------------------------------------------------------------------------------
// package.json helpers

function checkExports(exportsField: unknown, hasTestEntry: boolean, add: (r: RuleId, m: string) => void) {
  if (!isObject(exportsField)) {
    add('exports', 'package.json needs an "exports" map');
    return;
  }
  const checkEntry = (key: string) => {
    const entry = exportsField[key];
    if (entry === undefined) {
      add('exports', `exports must have "${key}"`);
      return;
    }
    if (!isObject(entry)) {
      add('exports', `exports["${key}"] must be an object with "types" and "import"`);
      return;
    }
    const keys = Object.keys(entry);
    if (typeof entry.types !== 'string') add('exports', `exports["${key}"] needs a "types" condition`);
    else if (!/\.d\.(m|c)?ts$/.test(entry.types))
      add('exports', `exports["${key}"].types must point at a .d.ts`);
    if (typeof entry.import !== 'string') add('exports', `exports["${key}"] needs an "import" condition`);
    if (keys.includes('types') && keys[0] !== 'types') {
      add('exports', `exports["${key}"]: "types" must be the first condition`);
    }
  };
  checkEntry('.');
  if (hasTestEntry) checkEntry('./test');
  else if ('./test' in exportsField) add('exports', 'exports has "./test" but src/test.ts does not exist');
}

/** An app built by Vite for the browser: `vite.config.ts` and no `tsup.config.ts`. */
function isWebAppDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'vite.config.ts')) && !fs.existsSync(path.join(dir, 'tsup.config.ts'));
}

/** A web app's exports: `./package.json` and `./dist/*` (its built files), both plain paths. */
function checkWebAppExports(exportsField: unknown, add: (r: RuleId, m: string) => void) {
  if (!isObject(exportsField)) {
    add('exports', 'package.json needs an "exports" map');
    return;
  }
  const expected = { './package.json': './package.json', './dist/*': './dist/*' };
  for (const [key, target] of Object.entries(expected)) {
    if (exportsField[key] !== target) add('exports', `a web app must export "${key}": "${target}"`);
  }
}

function depMap(value: unknown): DepMap {
  if (!isObject(value)) return {};
  const out: DepMap = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function readJson(file: string): Manifest | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A line running `npm install|i|add`, `pnpm add|install|i` or `yarn add` that names the package. */
export function hasInstallLine(readme: string, packageName: string): boolean {
  const command = /\b(?:npm\s+(?:install|i|add)|pnpm\s+(?:add|install|i)|yarn\s+add)\s/;
  return readme.split('\n').some((line) => {
    const m = command.exec(line);
    if (!m) return false;
    const args = line.slice(m.index + m[0].length).split(/[\s`'"]+/);
    return args.some((a) => a === packageName || a.startsWith(`${packageName}@`));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// source helpers

const SOURCE_EXT = /\.(ts|mts|cts|tsx)$/;

/** Every .ts/.mts/.cts/.tsx file below `dir` (node_modules and hidden entries skipped), sorted. */
export function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && SOURCE_EXT.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

function isTestFile(file: string): boolean {
  return /\.test\.(ts|mts|cts|tsx)$/.test(file);
}

/**
 * Files that never ship and may use devDependencies: `*.test.ts`, and anything under a `__fixtures__` or
 * `test-utils` folder (or a `test-utils.ts` file). `src/test.ts` is a published entry point, so it is NOT one.
 * `relToSrc` is relative to the package's src/.
 */
export function isTestOnlyFile(relToSrc: string): boolean {
  const segments = toPosix(relToSrc).split('/');
  const base = segments[segments.length - 1] ?? '';
  if (isTestFile(base)) return true;
  if (segments.slice(0, -1).some((s) => s === '__fixtures__' || s === 'test-utils')) return true;
  return /^test-utils\.(ts|mts|cts|tsx)$/.test(base);
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const BUILTINS = new Set(builtinModules);

/**
 * The package a bare specifier belongs to (`@a/b/sub` → `@a/b`, `lodash/fp` → `lodash`), or null when the
 * specifier is not a package: relative/absolute paths, `node:` and other URL schemes, `#` subpath imports and
 * Node builtins.
 */
export function packageNameOf(specifier: string): string | null {
  if (isRelative(specifier) || specifier.startsWith('/') || specifier.startsWith('#')) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return null; // node:, data:, file:, https:, virtual:...
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  if (name === '' || (specifier.startsWith('@') && parts.length < 2)) return null;
  if (BUILTINS.has(specifier) || BUILTINS.has(name)) return null;
  return name;
}

/** `foo` → `@types/foo`, `@a/b` → `@types/a__b`: a type-only package that also satisfies an import. */
function typesPackageFor(name: string): string {
  return name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
}

export interface FoundImport {
  specifier: string;
  line: number;
}

/**
 * Module specifiers a file loads: `import`/`import type`, `export ... from`, `import x = require('y')`,
 * dynamic `import('y')`, `typeof import('y')` in types, and `require('y')`. Comments and strings are handled
 * by the TypeScript parser, so `// import 'x'` is not an import.
 */
export function findImports(source: string, fileName = 'file.ts'): FoundImport[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, scriptKindFor(fileName));
  const found: FoundImport[] = [];
  const push = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) {
      const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      found.push({ specifier: node.text, line: line + 1 });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      push(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      push(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isDynamicImport || isRequire) && node.arguments.length > 0) push(node.arguments[0]);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) push(arg.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** 1-based lines of `export * from` and `export * as ns from` statements. */
export function findExportStar(source: string): number[] {
  const sf = ts.createSourceFile('index.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  for (const stmt of sf.statements) {
    if (
      ts.isExportDeclaration(stmt) &&
      stmt.moduleSpecifier &&
      (!stmt.exportClause || ts.isNamespaceExport(stmt.exportClause))
    ) {
      lines.push(sf.getLineAndCharacterOfPosition(stmt.getStart(sf)).line + 1);
    }
  }
  return lines;
}

function scriptKindFor(fileName: string): ts.ScriptKind {
  return fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

// ---------------------------------------------------------------------------------------------------------------
// tsup.config.ts

interface TsupOptionsSeen {
  formats: string[] | 'unknown';
  dts: boolean | 'unknown';
  entries: string[] | 'unknown';
  /** The package names in `noExternal` (string entries only). */
  inlined: string[];
}

/** Reads the source of a module a tsup config imports (`'../../tsup.base'`), or undefined when unknown. */
export type ReadModule = (specifier: string) => string | undefined;

/**
 * Reads `tsup.config.ts` without running it: finds the options object(s) given to `defineConfig(...)` or
 * default-exported, and checks that some config builds ESM with declarations and that the entries (union over
 * such configs) cover `required`. A spread of a local or of a relatively imported object literal (a shared
 * base such as `...packageBuild` from `../../tsup.base`) is read through `readModule`. Returns one message per
 * problem.
 */
export function checkTsupConfig(
  source: string,
  required: readonly string[],
  readModule?: ReadModule,
): string[] {
  const scope = readScope(source, readModule);
  const configs = findTsupConfigObjects(scope).map((obj) => readTsupOptions(obj, scope));
  if (configs.length === 0) {
    return ['tsup.config.ts must `export default defineConfig({...})` with an object literal'];
  }
  const problems: string[] = [];
  if (!configs.some((c) => c.formats !== 'unknown' && c.formats.includes('esm'))) {
    problems.push("tsup.config.ts must build ESM (format: ['esm'])");
  } else if (configs.some((c) => c.formats !== 'unknown' && c.formats.some((f) => f !== 'esm'))) {
    problems.push("tsup.config.ts must build ESM only (format: ['esm']); the workspace is ESM-only");
  }
  if (!configs.some((c) => c.dts === true)) {
    problems.push('tsup.config.ts must emit declarations (dts: true)');
  }
  const entries = configs.flatMap((c) => (c.entries === 'unknown' ? [] : c.entries));
  if (configs.every((c) => c.entries === 'unknown')) {
    problems.push('tsup.config.ts: entry must be a literal array or object of paths');
  } else {
    for (const file of required) {
      if (!entries.some((e) => entryMatches(e, file))) {
        problems.push(`tsup.config.ts: entry must include ${file}`);
      }
    }
  }
  return problems;
}

/** A parsed config module: its statements, its top-level constants, and how to resolve an imported name. */
interface ConfigScope {
  sf: ts.SourceFile;
  locals: Map<string, ts.Expression>;
  /** The initializer an imported name stands for in its (relative) module, when it can be read. */
  imported: (name: string) => { expr: ts.Expression; scope: ConfigScope } | undefined;
}

function readScope(source: string, readModule: ReadModule | undefined, depth = 0): ConfigScope {
  const sf = ts.createSourceFile('tsup.config.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const locals = new Map<string, ts.Expression>();
  const imports = new Map<string, { specifier: string; exported: string }>();
  for (const stmt of sf.statements) {
    if (ts.isVariableStatement(stmt)) {
      for (const decl of stmt.declarationList.declarations) {
        if (ts.isIdentifier(decl.name) && decl.initializer) locals.set(decl.name.text, decl.initializer);
      }
    } else if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const bindings = stmt.importClause?.namedBindings;
      if (!bindings || !ts.isNamedImports(bindings)) continue;
      for (const el of bindings.elements) {
        const exported = (el.propertyName ?? el.name).text;
        imports.set(el.name.text, { specifier: stmt.moduleSpecifier.text, exported });
      }
    }
  }
  const imported = (name: string) => {
    const from = imports.get(name);
    if (!from || !readModule || depth > 3 || !from.specifier.startsWith('.')) return undefined;
    const text = readModule(from.specifier);
    if (text === undefined) return undefined;
    const scope = readScope(text, undefined, depth + 1);
    const expr = scope.locals.get(from.exported);
    return expr ? { expr, scope } : undefined;
  };
  return { sf, locals, imported };
}

function unwrapExpression(expr: ts.Expression): ts.Expression {
  let e = expr;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) {
    e = e.expression;
  }
  return e;
}

function findTsupConfigObjects(scope: ConfigScope): ts.ObjectLiteralExpression[] {
  const unwrap = (expr: ts.Expression, depth = 0): ts.ObjectLiteralExpression[] => {
    if (depth > 5) return [];
    const e = unwrapExpression(expr);
    if (ts.isObjectLiteralExpression(e)) return [e];
    if (ts.isArrayLiteralExpression(e)) return e.elements.flatMap((el) => unwrap(el, depth + 1));
    if (ts.isCallExpression(e) && e.arguments[0]) return unwrap(e.arguments[0], depth + 1); // defineConfig(x)
    if (ts.isIdentifier(e)) {
      const init = scope.locals.get(e.text);
      return init ? unwrap(init, depth + 1) : [];
    }
    if (ts.isArrowFunction(e) && !ts.isBlock(e.body)) return unwrap(e.body, depth + 1);
    return [];
  };
  for (const stmt of scope.sf.statements) {
    if (ts.isExportAssignment(stmt) && !stmt.isExportEquals) return unwrap(stmt.expression);
  }
  return [];
}

/** The object literal a spread (`...name`) stands for, local or imported, with the scope it was found in. */
function resolveSpread(
  expr: ts.Expression,
  scope: ConfigScope,
): { obj: ts.ObjectLiteralExpression; scope: ConfigScope } | undefined {
  const e = unwrapExpression(expr);
  if (ts.isObjectLiteralExpression(e)) return { obj: e, scope };
  if (!ts.isIdentifier(e)) return undefined;
  const local = scope.locals.get(e.text);
  if (local) return resolveSpread(local, scope);
  const found = scope.imported(e.text);
  return found ? resolveSpread(found.expr, found.scope) : undefined;
}

type TsupOptionsSet = Partial<TsupOptionsSeen>;

function readTsupOptions(obj: ts.ObjectLiteralExpression, scope: ConfigScope): TsupOptionsSeen {
  const defaults: TsupOptionsSeen = { formats: ['cjs'], dts: false, entries: 'unknown', inlined: [] }; // tsup's defaults
  return { ...defaults, ...readOptionsSet(obj, scope, 0) };
}

/** The options an object literal sets, later properties (and spreads) overriding earlier ones. */
function readOptionsSet(obj: ts.ObjectLiteralExpression, scope: ConfigScope, depth: number): TsupOptionsSet {
  const seen: TsupOptionsSet = {};
  for (const prop of obj.properties) {
    if (ts.isSpreadAssignment(prop)) {
      const base = depth < 5 ? resolveSpread(prop.expression, scope) : undefined;
      // A spread we cannot read: do not claim anything about the values it may set.
      if (base) Object.assign(seen, readOptionsSet(base.obj, base.scope, depth + 1));
      else Object.assign(seen, { formats: 'unknown', dts: 'unknown', entries: 'unknown' } as TsupOptionsSet);
      continue;
    }
    if (ts.isShorthandPropertyAssignment(prop)) {
      const name = prop.name.text;
      if (name === 'format') seen.formats = 'unknown';
      if (name === 'dts') seen.dts = 'unknown';
      if (name === 'entry') seen.entries = 'unknown';
      continue;
    }
    if (!ts.isPropertyAssignment(prop)) continue;
    const key = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) ? prop.name.text : undefined;
    const value = prop.initializer;
    if (key === 'format') seen.formats = readFormats(value);
    else if (key === 'dts') seen.dts = readDts(value);
    else if (key === 'entry') seen.entries = readEntries(value);
    else if (key === 'noExternal' && ts.isArrayLiteralExpression(value)) {
      seen.inlined = value.elements.filter(ts.isStringLiteralLike).map((el) => el.text);
    }
  }
  return seen;
}

function readFormats(value: ts.Expression): TsupOptionsSeen['formats'] {
  if (ts.isStringLiteralLike(value)) return [value.text];
  if (ts.isArrayLiteralExpression(value) && value.elements.every(ts.isStringLiteralLike)) {
    return value.elements.map((el) => (el as ts.StringLiteralLike).text);
  }
  return 'unknown';
}

function readDts(value: ts.Expression): TsupOptionsSeen['dts'] {
  if (value.kind === ts.SyntaxKind.TrueKeyword || ts.isObjectLiteralExpression(value)) return true;
  if (value.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isStringLiteralLike(value)) return true; // dts: 'src/index.ts'
  return 'unknown';
}

function readEntries(value: ts.Expression): TsupOptionsSeen['entries'] {
  if (ts.isArrayLiteralExpression(value) && value.elements.every(ts.isStringLiteralLike)) {
    return value.elements.map((el) => (el as ts.StringLiteralLike).text);
  }
  if (ts.isObjectLiteralExpression(value)) {
    const paths = value.properties.map((p) =>
      ts.isPropertyAssignment(p) && ts.isStringLiteralLike(p.initializer) ? p.initializer.text : null,
    );
    return paths.every((p) => p !== null) ? (paths as string[]) : 'unknown';
  }
  return 'unknown';
}

/** The text of a module a package's tsup config imports relatively (`../../tsup.base` → `tsup.base.ts`). */
function readRelativeModule(dir: string, specifier: string): string | undefined {
  const base = path.resolve(dir, specifier);
  const stem = base.replace(/\.(?:js|mjs|ts|mts)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.mts`, `${stem}.js`, `${stem}.mjs`]) {
    try {
      if (fs.statSync(candidate).isFile()) return fs.readFileSync(candidate, 'utf8');
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** An entry (`./src/index.ts`, `src/*.ts`, `src/**\/*.ts`, `!src/x.ts` never matches) covers `file`. */
function entryMatches(entry: string, file: string): boolean {
  if (entry.startsWith('!')) return false;
  const norm = toPosix(entry).replace(/^\.\//, '');
  if (!/[*?{]/.test(norm)) return norm === file;
  return globToRegExp(norm).test(file);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close === -1) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, close)
          .split(',')
          .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = close;
      }
    } else re += c.replace(/[.+^$()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Package names a package's tsup.config.ts lists in `noExternal` (string entries only), its shared base's included. */
function inlinedByTsup(dir: string): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'tsup.config.ts'), 'utf8');
  } catch {
    return new Set();
  }
  const scope = readScope(text, (specifier) => readRelativeModule(dir, specifier));
  const configs = findTsupConfigObjects(scope).map((obj) => readTsupOptions(obj, scope));
  return new Set(configs.flatMap((c) => c.inlined));
}
