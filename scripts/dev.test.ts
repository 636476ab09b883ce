import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  devSettings,
  exitCodeOf,
  failureLines,
  formatDuration,
  installIsCurrent,
  noteInstalled,
  parseTurboLine,
} from './dev.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-dev-'));
  dirs.push(dir);
  return dir;
};

describe('pnpm dev: install', () => {
  it('installs only when the lockfile changed since the last install', () => {
    const root = tempDir();
    fs.writeFileSync(path.join(root, 'pnpm-lock.yaml'), 'lockfileVersion: 9.0\n');
    expect(installIsCurrent(root)).toBe(false); // never installed
    fs.mkdirSync(path.join(root, 'node_modules', '.pnpm'), { recursive: true });
    fs.writeFileSync(path.join(root, 'node_modules', '.pnpm', 'lock.yaml'), 'lockfileVersion: 9.0\n');
    expect(installIsCurrent(root)).toBe(true);
    fs.appendFileSync(path.join(root, 'pnpm-lock.yaml'), 'importers: {}\n');
    expect(installIsCurrent(root)).toBe(false);
    // pnpm found nothing to do for this change and kept its copy: not again at the next start.
    noteInstalled(root);
    expect(installIsCurrent(root)).toBe(true);
  });
});

describe('pnpm dev: build', () => {
  const output = [
    '   • Running build in 19 packages',
    '@nanoclaw/core:build: cache hit, suppressing logs f76cb18a12290793',
    '@nanoclaw/group-queue:build: cache miss, executing 0ce8fb6082c35718',
    '@nanoclaw/group-queue:build: ✘ [ERROR] Expected identifier but found "="',
    '@nanoclaw/group-queue:build:     src/index.ts:34:13:',
    '@nanoclaw/core:build: CLI tsup v8.5.1',
    '@nanoclaw/group-queue#build:  ERROR  command (/x/packages/group-queue) pnpm run build exited (1)',
    ' Tasks:    17 successful, 18 total',
    'Failed:    @nanoclaw/group-queue#build',
  ];

  it("reads turbo's count and each package as it ends", () => {
    expect(output.map(parseTurboLine).filter(Boolean)).toEqual([
      { total: 19 },
      { done: '@nanoclaw/core', cached: true },
      { done: '@nanoclaw/group-queue', cached: false },
    ]);
  });

  it("shows a failed build's own output, not the others'", () => {
    expect(failureLines(output)).toEqual([
      '@nanoclaw/group-queue:build: cache miss, executing 0ce8fb6082c35718',
      '@nanoclaw/group-queue:build: ✘ [ERROR] Expected identifier but found "="',
      '@nanoclaw/group-queue:build:     src/index.ts:34:13:',
      '@nanoclaw/group-queue#build:  ERROR  command (/x/packages/group-queue) pnpm run build exited (1)',
    ]);
  });

  it('when turbo itself fails, shows the end of what it said', () => {
    const lines = [
      '   • Running build in 19 packages',
      '',
      '  x Unable to find package manager binary: cannot find binary path',
    ];
    expect(failureLines(lines)).toEqual([
      '   • Running build in 19 packages',
      '  x Unable to find package manager binary: cannot find binary path',
    ]);
  });

  it('says how long in words a person reads', () => {
    expect([380, 9_940, 38_000, 248_410].map(formatDuration)).toEqual([
      '0.4 s',
      '9.9 s',
      '38 s',
      '4 min 8 s',
    ]);
  });
});

describe('pnpm dev: settings', () => {
  it('reads the runtime and the userland cache as the host does: the environment over .env', () => {
    const file = 'NANOCLAW_RUNTIME=bwrap\nNANOCLAW_USERLAND_CACHE_DIR=/srv/userland\n';
    expect(devSettings({}, file)).toEqual({ runtime: 'bwrap', cacheDir: '/srv/userland', mirror: undefined });
    expect(devSettings({ NANOCLAW_RUNTIME: 'process', NANOCLAW_USERLAND_CACHE_DIR: ' ' }, file)).toEqual({
      runtime: 'process',
      cacheDir: undefined,
      mirror: undefined,
    });
    expect(devSettings({}, '').runtime).toBe('auto');
  });
});

describe('pnpm dev: Ctrl-C', () => {
  it('the host gets one SIGINT from a terminal Ctrl-C, and its exit code is the exit code', async () => {
    const root = tempDir();
    const log = path.join(root, 'signals.log');
    // A host that drains for a moment on SIGINT and exits 0; a second SIGINT would make it exit 130.
    const host = path.join(root, 'host.mjs');
    fs.writeFileSync(
      host,
      `import fs from 'node:fs';
let signals = 0;
process.on('SIGINT', () => {
  signals += 1;
  fs.appendFileSync(${JSON.stringify(log)}, 'SIGINT\\n');
  if (signals > 1) process.exit(130);
  setTimeout(() => process.exit(0), 300);
});
fs.appendFileSync(${JSON.stringify(log)}, 'ready\\n');
setInterval(() => {}, 1000);
`,
    );
    // dev.mjs's own process, running the host as its last step does (run() in this process group).
    const wrapper = path.join(root, 'wrapper.mjs');
    fs.writeFileSync(
      wrapper,
      `import { run } from ${JSON.stringify(path.join(here, 'dev.mjs'))};
process.on('SIGINT', () => {});
process.exit(await run(process.execPath, [${JSON.stringify(host)}]));
`,
    );
    // Its own process group, as a terminal's foreground job is.
    const child = spawn(process.execPath, [wrapper], { detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // What a terminal does on Ctrl-C: SIGINT to every process of the group. pnpm passes the wrapper one more.
    process.kill(-(child.pid ?? 0), 'SIGINT');
    process.kill(child.pid ?? 0, 'SIGINT');
    expect(await exited).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('ready\nSIGINT\n');
  });

  it('a step ended by a signal exits as a shell reports it (128 + the signal)', () => {
    expect(exitCodeOf(0, null)).toBe(0);
    expect(exitCodeOf(null, 'SIGINT')).toBe(130);
    expect(exitCodeOf(null, 'SIGKILL')).toBe(137);
  });
});
