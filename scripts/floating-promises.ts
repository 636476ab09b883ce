/**
 * Floating-promise rule (issue 15), with the TypeScript type checker. In an expression statement, a value whose
 * type is a thenable must be awaited, returned, assigned, or handled: `.catch(onRejected)`,
 * `.then(onFulfilled, onRejected)`, or `.finally(...)` on a handled promise. `void <promise>` marks a promise
 * dropped on purpose and is accepted only when it is handled that way, or when it calls a function in the
 * never-reject allowlist (`path#Name.member`: functions tested never to reject), or chains `.then`/`.finally`
 * on one. The same applies inside `a ? p() : q()`, `a && p()` and `a, p()` statements.
 *
 * Why not Biome's `nursery/noFloatingPromises` (Biome 2.6.8 here)? It finds bare promises but accepts every
 * `void p()`, and the `void` sites are the ones issue 15 is about; it has no options to change that.
 * scripts/check-floating-promises.ts is the CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import type { Allowlist } from './allowlist.js';
import { listSourceFiles, listWorkspacePackages } from './package-shape.js';
import { isGenerated } from './shipped-sources.js';

export interface FloatingPromise {
  /** Workspace-relative path, forward slashes. */
  rel: string;
  line: number;
  /** `bare`: a statement that drops a promise; `void`: `void p` on a promise not handled nor allowlisted. */
  kind: 'bare' | 'void';
  /** The statement's text, on one line, cut at 100 characters. */
  text: string;
  /** For a call, the allowlist key of the function called (`path#Name.member`), when it is declared in source. */
  callee?: string;
}

/**
 * A program over `files` with the workspace's compiler options (tsconfig.base.json), in which every
 * `@nanoclaw/<pkg>[/<entry>]` import resolves to that package's source entry (`src/<entry>.ts`), not its
 * dist: the check needs no build and sees the types as written.
 */
export function createWorkspaceProgram(rootDir: string, files: readonly string[]): ts.Program {
  const base = ts.readConfigFile(path.join(rootDir, 'tsconfig.base.json'), ts.sys.readFile);
  if (base.error) throw new Error(ts.flattenDiagnosticMessageText(base.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, rootDir, undefined, 'tsconfig.base.json');
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    paths: workspacePaths(rootDir),
  };
  return ts.createProgram({ rootNames: [...files, ...ambientDeclarations(rootDir)], options });
}

/** Hand-written `.d.ts` files in the packages' src (`declare module 'untyped-lib'`), as each package's tsc sees. */
function ambientDeclarations(rootDir: string): string[] {
  return listWorkspacePackages(rootDir).flatMap((pkg) => {
    const srcDir = path.join(pkg.absDir, 'src');
    if (!fs.existsSync(srcDir)) return [];
    return listSourceFiles(srcDir).filter(
      (f) => f.endsWith('.d.ts') && !isGenerated(path.relative(srcDir, f)),
    );
  });
}

/** `@nanoclaw/x` → packages/x/src/index.ts, `@nanoclaw/x/test` → src/test.ts: from each package's exports. */
export function workspacePaths(rootDir: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const pkg of listWorkspacePackages(rootDir)) {
    let manifest: { name?: unknown; exports?: unknown };
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(pkg.absDir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (typeof manifest.name !== 'string' || typeof manifest.exports !== 'object' || !manifest.exports)
      continue;
    for (const [key, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
      const built = typeof target === 'string' ? target : (target as { import?: unknown } | null)?.import;
      const entry = typeof built === 'string' ? /^\.\/dist\/(.+)\.js$/.exec(built)?.[1] : undefined;
      if (!entry) continue;
      const specifier = key === '.' ? manifest.name : `${manifest.name}/${key.replace(/^\.\//, '')}`;
      paths[specifier] = [path.join(pkg.absDir, 'src', `${entry}.ts`)];
    }
  }
  return paths;
}

/** Every floating promise in `files` (absolute paths in `program`); `rootDir` makes paths relative. */
export function findFloatingPromises(
  program: ts.Program,
  files: readonly string[],
  rootDir: string,
  neverReject: Allowlist,
): { sites: FloatingPromise[]; allowUsed: Set<string> } {
  const finder = new FloatingPromiseFinder(program.getTypeChecker(), rootDir, neverReject);
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (sf) finder.checkFile(sf);
  }
  return { sites: finder.sites, allowUsed: finder.allowUsed };
}

/** The rule, one expression statement at a time; collects the sites and the allowlist entries it used. */
class FloatingPromiseFinder {
  readonly sites: FloatingPromise[] = [];
  readonly allowUsed = new Set<string>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly rootDir: string,
    private readonly neverReject: Allowlist,
  ) {}

  checkFile(sf: ts.SourceFile): void {
    const visit = (node: ts.Node) => {
      if (ts.isExpressionStatement(node)) this.checkExpression(sf, node, node.expression);
      // `() => void promise` discards the promise just as the statement `void promise;` does.
      if (ts.isArrowFunction(node) && ts.isVoidExpression(node.body))
        this.checkExpression(sf, node.body, node.body);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  private checkExpression(sf: ts.SourceFile, stmt: ts.Node, node: ts.Expression): void {
    const expr = unwrap(node);
    if (ts.isVoidExpression(expr)) {
      this.checkVoided(sf, stmt, unwrap(expr.expression));
    } else if (ts.isConditionalExpression(expr)) {
      this.checkExpression(sf, stmt, expr.whenTrue);
      this.checkExpression(sf, stmt, expr.whenFalse);
    } else if (ts.isBinaryExpression(expr) && isChainOperator(expr.operatorToken.kind)) {
      if (expr.operatorToken.kind === ts.SyntaxKind.CommaToken) this.checkExpression(sf, stmt, expr.left);
      this.checkExpression(sf, stmt, expr.right);
    } else if (ts.isBinaryExpression(expr) && isAssignmentOperator(expr.operatorToken.kind)) {
      return;
    } else if (this.isThenable(expr) && !isHandled(expr)) {
      this.report(sf, stmt, 'bare', expr);
    }
  }

  /** `void inner`: fine when inner is no promise, is handled, or never rejects (allowlist). */
  private checkVoided(sf: ts.SourceFile, stmt: ts.Node, inner: ts.Expression): void {
    if (!this.isThenable(inner) || isHandled(inner)) return;
    const key = this.allowlisted(inner);
    if (key) this.allowUsed.add(key);
    else this.report(sf, stmt, 'void', inner);
  }

  private isThenable(node: ts.Node): boolean {
    const type = this.checker.getTypeAtLocation(node);
    const parts = type.isUnion() ? type.types : [type];
    return parts.some((part) => {
      const then = part.getProperty('then');
      if (!then) return false;
      return this.checker.getTypeOfSymbolAtLocation(then, node).getCallSignatures().length > 0;
    });
  }

  /** Allowlisted: calls a never-reject function, or chains `.then`/`.finally` onto such a call or property. */
  private allowlisted(expr: ts.Expression): string | undefined {
    const key = this.calleeKey(expr) ?? this.propertyKey(expr);
    if (key && key in this.neverReject) return key;
    const call = unwrap(expr);
    if (ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression)) {
      const method = call.expression.name.text;
      if (method === 'then' || method === 'finally') return this.allowlisted(call.expression.expression);
    }
    return undefined;
  }

  /** `path#Name.member` of the function a call calls, when it is declared in the workspace's sources. */
  private calleeKey(expr: ts.Expression): string | undefined {
    const call = unwrap(expr);
    if (!ts.isCallExpression(call)) return undefined;
    const target = ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression;
    let symbol = this.checker.getSymbolAtLocation(target);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return this.declarationKey(symbol?.declarations?.[0]);
  }

  /** `path#Name.member` of a property read (`turn.done`), for promises held in a field. */
  private propertyKey(expr: ts.Expression): string | undefined {
    const e = unwrap(expr);
    if (!ts.isPropertyAccessExpression(e)) return undefined;
    return this.declarationKey(this.checker.getSymbolAtLocation(e.name)?.declarations?.[0]);
  }

  private declarationKey(decl: ts.Declaration | undefined): string | undefined {
    if (!decl || decl.getSourceFile().fileName.includes('/node_modules/')) return undefined;
    return `${this.relOf(decl.getSourceFile().fileName)}#${qualifiedName(decl)}`;
  }

  private report(sf: ts.SourceFile, stmt: ts.Node, kind: FloatingPromise['kind'], expr: ts.Expression): void {
    const text = stmt.getText(sf).replace(/\s+/g, ' ');
    const callee = this.calleeKey(expr);
    this.sites.push({
      rel: this.relOf(sf.fileName),
      line: sf.getLineAndCharacterOfPosition(stmt.getStart(sf)).line + 1,
      kind,
      text: text.length > 100 ? `${text.slice(0, 99)}…` : text,
      ...(callee ? { callee } : {}),
    });
  }

  private relOf(fileName: string): string {
    return path.relative(this.rootDir, fileName).split(path.sep).join('/');
  }
}

/** `.catch(h)`, `.then(f, h)`, or `.finally(f)` on a handled promise. */
export function isHandled(node: ts.Expression): boolean {
  const expr = unwrap(node);
  if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression)) return false;
  const method = expr.expression.name.text;
  if (method === 'catch') return expr.arguments.length >= 1;
  if (method === 'then') return expr.arguments.length >= 2;
  if (method === 'finally') return isHandled(expr.expression.expression);
  return false;
}

function unwrap(node: ts.Expression): ts.Expression {
  let e = node;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e))
    e = e.expression;
  return e;
}

function isChainOperator(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.AmpersandAmpersandToken ||
    kind === ts.SyntaxKind.BarBarToken ||
    kind === ts.SyntaxKind.QuestionQuestionToken ||
    kind === ts.SyntaxKind.CommaToken
  );
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

/** `name`, or `Container.name` for a member of a class, interface or type literal named by an alias. */
function qualifiedName(decl: ts.Declaration): string {
  const own = ts.getNameOfDeclaration(decl)?.getText() ?? '<anonymous>';
  const container = decl.parent;
  if (ts.isClassLike(container) || ts.isInterfaceDeclaration(container)) {
    return `${container.name?.text ?? '<class>'}.${own}`;
  }
  if (ts.isTypeLiteralNode(container) && ts.isTypeAliasDeclaration(container.parent)) {
    return `${container.parent.name.text}.${own}`;
  }
  return own;
}

/** `packages/x/src/y.ts:12 void f();  (calls packages/x/src/f.ts#f)`. */
export function formatFloatingPromise(site: FloatingPromise): string {
  const callee = site.callee ? `  (calls ${site.callee})` : '';
  return `${site.rel}:${site.line} ${site.text}${callee}`;
}

/** `packages/x` or `apps/y`: the package a site belongs to, for the per-package counts. */
export function packageOf(rel: string): string {
  return rel.split('/').slice(0, 2).join('/');
}
