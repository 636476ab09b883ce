import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllowlist } from './allowlist.js';
import { allowKey, checkLongFunctions, findLongFunctions, formatLongFunction } from './long-functions.js';
import { isGenerated, isTestHelperFile } from './shipped-sources.js';

/** A body of `n` lines in total, braces included. */
const body = (n: number) => `{\n${'  step();\n'.repeat(n - 2)}}`;

describe('findLongFunctions', () => {
  it('measures each kind of function from its first line to its last and names it', () => {
    const source = [
      `export function plain() ${body(5)}`,
      `class Pool { run() ${body(5)} get size() ${body(5)} constructor() ${body(5)} }`,
      `const arrow = () => ${body(5)};`,
      `const expr = function () ${body(5)};`,
      `const obj = { handler: () => ${body(5)}, method() ${body(5)} };`,
      `describe('x', () => ${body(5)});`,
      `emitter.on('data', function () ${body(5)});`,
    ].join('\n');
    const found = findLongFunctions(source, 'p/src/a.ts', 4);
    expect(found.map((f) => [f.name, f.lines])).toEqual([
      ['plain', 5],
      ['Pool.run', 5],
      ['Pool.size', 5],
      ['Pool.constructor', 5],
      ['arrow', 5],
      ['expr', 5],
      ['handler', 5],
      ['method', 5],
      ['describe(callback)', 5],
      ['emitter.on(callback)', 5],
    ]);
    expect(findLongFunctions(source, 'p/src/a.ts', 5)).toEqual([]);
  });

  it('names nested functions after their outer one and reports the starting line', () => {
    const source = `// header\n\nexport function outer() {\n  const inner = () => ${body(6)};\n${'  x();\n'.repeat(3)}}\n`;
    const found = findLongFunctions(source, 'apps/a/src/outer.ts', 5);
    expect(found.map(formatLongFunction)).toEqual([
      'apps/a/src/outer.ts:3 outer 11 lines',
      'apps/a/src/outer.ts:4 outer/inner 6 lines',
    ]);
  });

  it('does not count text that only looks like a function (strings, comments, overload signatures)', () => {
    const source = [
      'declare function overloaded(a: string): void;',
      `const text = "function fake() ${'{ x(); }'.repeat(3)}";`,
      `/* function commented() ${body(8)} */`,
    ].join('\n');
    expect(findLongFunctions(source, 'p/src/a.ts', 3)).toEqual([]);
  });
});

describe('checkLongFunctions', () => {
  const fn = (name: string) => ({ rel: 'packages/x/src/x.ts', line: 1, name, lines: 130 });

  it('passes when every long function is listed with a reason', () => {
    const allow = { [allowKey(fn('a'))]: 'a generated migration: one statement per table' };
    expect(checkLongFunctions([fn('a')], allow)).toEqual({ unlisted: [], problems: [] });
  });

  it('names the long functions the allowlist lacks', () => {
    expect(checkLongFunctions([fn('a'), fn('b')], { [allowKey(fn('a'))]: 'reason' }).unlisted).toEqual([
      fn('b'),
    ]);
  });

  it('fails an allowlist that is too long, lacks a reason, or names a function that is no longer long', () => {
    const allow = Object.fromEntries(['a', 'b', 'c'].map((n) => [allowKey(fn(n)), n === 'b' ? ' ' : 'why']));
    const { problems } = checkLongFunctions([fn('a'), fn('b')], allow, 2);
    expect(problems).toEqual([
      'the allowlist names 3 functions; at most 2 may be long',
      'packages/x/src/x.ts#b: the allowlist entry needs a reason',
      'packages/x/src/x.ts#c: in the allowlist but not longer than the limit; remove it',
    ]);
  });

  it('reads the allowlist as an object of "path#name": "reason"', () => {
    expect(parseAllowlist('{"a#b": "why", "c#d": 3}', 'x.json')).toEqual({ 'a#b': 'why', 'c#d': '' });
    expect(() => parseAllowlist('["a#b"]', 'x.json')).toThrow(/x.json must be a JSON object/);
  });
});

describe('isTestHelperFile', () => {
  it('leaves out tests, fixtures, test helpers and fakes, and keeps shipped code', () => {
    for (const rel of [
      'a.test.ts',
      'host/restart.e2e.test.ts',
      '__fixtures__/x.ts',
      'test-utils/fake.ts',
      'test-utils.ts',
      'test-helpers.ts',
      'groups/test-support.ts',
      'host/test-runtimes.ts',
      'test/helper.ts',
      'fake-discord.ts',
    ]) {
      expect(isTestHelperFile(rel), rel).toBe(true);
    }
    for (const rel of ['index.ts', 'test.ts', 'host/compose-host.ts', 'testing.ts', 'channel-contract.ts']) {
      expect(isTestHelperFile(rel), rel).toBe(false);
    }
  });

  it('leaves out generated code', () => {
    expect(isGenerated('generated/v2/ThreadStartParams.ts')).toBe(true);
    expect(isGenerated('generated.ts')).toBe(false);
  });
});

describe('pnpm check:functions', () => {
  it('prints each long function of the workspace and, with --report, does not fail', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'check-long-functions.ts', '--report'], {
      cwd: path.dirname(fileURLToPath(import.meta.url)),
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    for (const line of run.stdout.trim().split('\n').slice(0, -1)) {
      expect(line).toMatch(/^(packages|apps)\/[^/]+\/src\/\S+\.ts:\d+ \S+ \d+ lines( \(allowed\))?$/);
    }
    expect(run.stdout + run.stderr).toMatch(
      /check:functions: \d+ function\(s\) over 120 lines in \d+ file\(s\)/,
    );
  }, 60_000);
});
