import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkspaceProgram,
  type FloatingPromise,
  findFloatingPromises,
  formatFloatingPromise,
  workspacePaths,
} from './floating-promises.js';
import { listShippedSources } from './shipped-sources.js';

let root: string;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Lines of packages/widget/src/widget.ts; each statement sits on its own line so the test can name it by line. */
const WIDGET = [
  "import { remote, neverRejects, type Queue, type Turn } from '@nanoclaw/core';",
  "import { helper } from '@nanoclaw/core/test';",
  'declare function log(e: unknown): void;',
  'declare function sync(): number;',
  'let held: Promise<void> | undefined;',
  'export async function widget(q: Queue, turn: Turn, cond: boolean, maybe?: { run(): Promise<void> }) {',
  '  remote();', // 7: bare
  '  void remote();', // 8: void, not allowlisted
  '  void remote().catch((e) => log(e));',
  '  remote().then(() => 1, (e) => log(e));',
  '  remote().catch(log).finally(() => sync());',
  '  void remote().then(() => sync());', // 12: then without onRejected
  '  await remote();',
  '  const kept = remote();',
  '  held = remote();',
  '  cond ? remote() : undefined;', // 16: bare in a conditional
  '  cond && remote();', // 17: bare after &&
  '  void neverRejects();',
  '  void q.push(1);',
  '  void turn.done.then(() => sync());',
  '  sync();',
  '  maybe?.run();', // 22: Promise | undefined
  '  void helper();', // 23: through the ./test entry
  '  (remote() as Promise<number>);', // 24: parenthesised and cast
  '  setTimeout(() => void remote(), 1);', // 25: void as an arrow's body
  '  setTimeout(() => void remote().catch((e) => log(e)), 1);',
  '  return kept;',
  '}',
].join('\n');

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-promises-'));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write(
    'tsconfig.base.json',
    JSON.stringify({
      compilerOptions: { target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', strict: true, types: [] },
    }),
  );
  const exportsOf = (...entries: string[]) =>
    Object.fromEntries(
      entries.map((e) => [
        e === 'index' ? '.' : `./${e}`,
        { types: `./dist/${e}.d.ts`, import: `./dist/${e}.js` },
      ]),
    );
  write(
    'packages/core/package.json',
    JSON.stringify({ name: '@nanoclaw/core', exports: exportsOf('index', 'test') }),
  );
  write(
    'packages/core/src/index.ts',
    [
      'export async function remote(): Promise<number> { return 1; }',
      'export async function neverRejects(): Promise<void> {}',
      'export class Queue { async push(n: number): Promise<void> { void n; } }',
      'export interface Turn { done: Promise<void> }',
    ].join('\n'),
  );
  write('packages/core/src/test.ts', 'export async function helper(): Promise<void> {}\n');
  write(
    'packages/widget/package.json',
    JSON.stringify({ name: '@nanoclaw/widget', exports: exportsOf('index') }),
  );
  write('packages/widget/src/index.ts', "export { widget } from './widget.js';\n");
  write('packages/widget/src/widget.ts', WIDGET);
  write('packages/widget/src/widget.test.ts', "import { remote } from '@nanoclaw/core';\nremote();\n");
});

function check(neverReject: Record<string, string> = {}) {
  const files = listShippedSources(root).map((s) => s.file);
  return findFloatingPromises(createWorkspaceProgram(root, files), files, root, neverReject);
}
const linesOf = (sites: FloatingPromise[]) => sites.map((s) => s.line);

// Each case builds a TypeScript program and type-checks it: a second or two alone, several on a loaded CI machine.
describe('findFloatingPromises', { timeout: 60_000 }, () => {
  it('maps @nanoclaw/<pkg>[/<entry>] to the source entries', () => {
    expect(workspacePaths(root)).toEqual({
      '@nanoclaw/core': [path.join(root, 'packages/core/src/index.ts')],
      '@nanoclaw/core/test': [path.join(root, 'packages/core/src/test.ts')],
      '@nanoclaw/widget': [path.join(root, 'packages/widget/src/index.ts')],
    });
  });

  it('reports promises that are dropped: bare, void without a handler, in conditionals, maybe-undefined', () => {
    const { sites } = check();
    expect(sites.every((s) => s.rel === 'packages/widget/src/widget.ts')).toBe(true);
    expect(linesOf(sites)).toEqual([7, 8, 12, 16, 17, 18, 19, 20, 22, 23, 24, 25]);
    expect(sites.find((s) => s.line === 7)).toMatchObject({
      kind: 'bare',
      callee: 'packages/core/src/index.ts#remote',
    });
    expect(sites.find((s) => s.line === 8)?.kind).toBe('void');
    expect(formatFloatingPromise(sites[1]!)).toBe(
      'packages/widget/src/widget.ts:8 void remote();  (calls packages/core/src/index.ts#remote)',
    );
    expect(sites.find((s) => s.line === 19)?.callee).toBe('packages/core/src/index.ts#Queue.push');
  });

  it('accepts `void f()` when f (a function, a method, or a promise field with .then) never rejects', () => {
    const allow = {
      'packages/core/src/index.ts#neverRejects': 'resolves on every path (index.test.ts)',
      'packages/core/src/index.ts#Queue.push': 'catches and logs its own failures',
      'packages/core/src/index.ts#Turn.done': 'settled by resolve() only',
    };
    const { sites, allowUsed } = check(allow);
    expect(linesOf(sites)).toEqual([7, 8, 12, 16, 17, 22, 23, 24, 25]);
    expect([...allowUsed].sort()).toEqual(Object.keys(allow).sort());
  });
});
