import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCodexBinary } from './binary.js';
import { cleanupTempDirs, tempDir } from './test-utils.js';

afterEach(() => cleanupTempDirs());

const GENERATED = fileURLToPath(new URL('./generated', import.meta.url));
/** The one file in src/generated that the generator does not write (see the README). */
const MARKER = 'package.json';

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => fs.statSync(path.join(dir, name)).isFile())
    .sort();
}

describe('src/generated', () => {
  it('is exactly what the pinned binary generates (regenerate after a version bump)', async () => {
    const out = path.join(tempDir(), 'generated');
    const home = tempDir();
    await new Promise<void>((resolve, reject) => {
      execFile(
        resolveCodexBinary(),
        ['app-server', 'generate-ts', '--experimental', '--out', out],
        { env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: home } },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    const fresh = listFiles(out);
    const checkedIn = listFiles(GENERATED).filter((name) => name !== MARKER);
    expect(checkedIn).toEqual(fresh);
    const drifted = fresh.filter(
      (name) =>
        fs.readFileSync(path.join(out, name), 'utf8') !== fs.readFileSync(path.join(GENERATED, name), 'utf8'),
    );
    expect(drifted).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(GENERATED, MARKER), 'utf8'))).toEqual({ type: 'commonjs' });
  });
});
