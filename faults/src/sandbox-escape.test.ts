/**
 * The container-runner's sandbox escape suite (packages/container-runner/src/escape.test.ts), run again here as
 * part of the fault suite, with its count: every attempt from inside a docker and a bwrap sandbox (reading host
 * files and secrets, writing outside the group, reaching host loopback, symlink swaps…) must be blocked.
 * Docker and bwrap are required under CI=true (the suite fails there when one is missing) and skipped with the
 * reason elsewhere.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { dockerHostEnv, REPO_ROOT } from '@nanoclaw/container-runner/test';
import { expect, it } from 'vitest';
import { writeSummary } from './results.js';

/** vitest's CLI, next to its package.json (the bin is not an export). */
const VITEST = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

it('blocks every escape attempt (docker and bwrap)', async () => {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-faults-escape-')), 'report.json');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        VITEST,
        'run',
        'src/escape.test.ts',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${report}`,
      ],
      {
        cwd: path.join(REPO_ROOT, 'packages/container-runner'),
        env: { ...process.env, ...dockerHostEnv(), FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as {
    numTotalTests: number;
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
  };
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  const perRuntime = [...output.matchAll(/\[escape attempts: (\w+)\] (\d+) attempts, (\d+) blocked/g)].map(
    (m) => ({ runtime: m[1] ?? '', attempts: Number(m[2]), blocked: Number(m[3]) }),
  );
  const skipped = [...output.matchAll(/\[escape attempts: (\w+)\] skipped: (.*)/g)].map(
    (m) => `${m[1]}: ${m[2]}`,
  );
  const summary = {
    tests: json.numTotalTests,
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    skipped: json.numPendingTests,
    attempts: perRuntime,
    escapes: perRuntime.reduce((sum, r) => sum + (r.attempts - r.blocked), 0),
    skippedRuntimes: skipped,
  };
  writeSummary('sandbox-escape', summary);
  console.log(`[sandbox escape] ${JSON.stringify(summary)}`);
  expect(code, output.slice(-3_000)).toBe(0);
  expect(json.numFailedTests).toBe(0);
  expect(perRuntime.length + skipped.length).toBeGreaterThan(0);
  for (const r of perRuntime) {
    expect(r.attempts).toBeGreaterThan(0);
    expect(r.blocked, `${r.runtime}: escapes`).toBe(r.attempts);
  }
});
