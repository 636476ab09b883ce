/**
 * Long-function rule (issue 15): a function body longer than MAX_FUNCTION_LINES in shipped sources needs a
 * stated reason in scripts/long-functions.allow.json, and at most MAX_ALLOWED functions may have one.
 * `findLongFunctions` parses one file with the TypeScript parser; `checkLongFunctions` compares what it found
 * with the allowlist. scripts/check-long-functions.ts is the CLI.
 */
import ts from 'typescript';
import { type Allowlist, entriesWithoutReason } from './allowlist.js';

export const MAX_FUNCTION_LINES = 120;
export const MAX_ALLOWED = 6;

export interface LongFunction {
  /** Workspace-relative path, forward slashes. */
  rel: string;
  /** 1-based line where the function starts. */
  line: number;
  /** Stable name: `outer/inner`, `Class.method`, `describe(callback)` for an anonymous argument. */
  name: string;
  /** Lines from the function's first line to its last, both included. */
  lines: number;
}

/** `path#name`: how the allowlist names a function (no line number, so it survives edits above it). */
export function allowKey(fn: Pick<LongFunction, 'rel' | 'name'>): string {
  return `${fn.rel}#${fn.name}`;
}

/** Every function-like with a body (declarations, methods, accessors, constructors, arrows, function expressions). */
export function findLongFunctions(
  source: string,
  rel: string,
  maxLines: number = MAX_FUNCTION_LINES,
): LongFunction[] {
  const sf = ts.createSourceFile(rel, source, ts.ScriptTarget.Latest, true, scriptKindFor(rel));
  const found: LongFunction[] = [];
  const visit = (node: ts.Node, outer: string | undefined) => {
    let scope = outer;
    if (isFunctionWithBody(node)) {
      const own = nameOf(node, sf);
      scope = outer ? `${outer}${isClassMember(node) ? '.' : '/'}${own}` : own;
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > maxLines) found.push({ rel, line: first + 1, name: scope, lines });
    } else if (ts.isClassLike(node)) {
      const own = node.name?.text ?? '<class>';
      scope = outer ? `${outer}/${own}` : own;
    }
    ts.forEachChild(node, (child) => visit(child, scope));
  };
  visit(sf, undefined);
  return found;
}

function isClassMember(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isClassLike(parent) || (ts.isPropertyDeclaration(parent) && ts.isClassLike(parent.parent));
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node)) &&
    node.body !== undefined
  );
}

/**
 * The function's own name: its declared name (class members join their class with a dot: `Class.member`,
 * nested functions their outer one with a slash: `outer/inner`); for an arrow or function expression, the
 * variable or property it is assigned to, or `callee(callback)` when it is an argument.
 */
function nameOf(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return propertyNameText(node.name, sf);
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyDeclaration(parent) ||
    ts.isPropertyAssignment(parent)
  ) {
    return propertyNameText(parent.name, sf);
  }
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    return parent.left.getText(sf);
  }
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = parent.expression.getText(sf).replace(/\s+/g, '');
    return `${ts.isNewExpression(parent) ? 'new ' : ''}${callee}(callback)`;
  }
  return '<anonymous>';
}

function propertyNameText(name: ts.Node, sf: ts.SourceFile): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteralLike(name)) return name.text;
  return name.getText(sf);
}

function scriptKindFor(fileName: string): ts.ScriptKind {
  return fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

export interface LongFunctionCheck {
  /** Long functions the allowlist does not name. */
  unlisted: LongFunction[];
  /** The allowlist's own problems: too many entries, an entry without a reason, one no longer long. */
  problems: string[];
}

/** Compares the long functions found with the allowlist; the check passes when both lists are empty. */
export function checkLongFunctions(
  found: readonly LongFunction[],
  allow: Allowlist,
  maxAllowed: number = MAX_ALLOWED,
): LongFunctionCheck {
  const keys = Object.keys(allow);
  const problems: string[] = [];
  if (keys.length > maxAllowed) {
    problems.push(`the allowlist names ${keys.length} functions; at most ${maxAllowed} may be long`);
  }
  problems.push(...entriesWithoutReason(allow));
  const foundKeys = new Set(found.map(allowKey));
  for (const key of keys) {
    if (!foundKeys.has(key))
      problems.push(`${key}: in the allowlist but not longer than the limit; remove it`);
  }
  return { unlisted: found.filter((fn) => !(allowKey(fn) in allow)), problems };
}

/** `apps/host/src/x.ts:97 composeHost 265 lines`. */
export function formatLongFunction(fn: LongFunction): string {
  return `${fn.rel}:${fn.line} ${fn.name} ${fn.lines} lines`;
}
