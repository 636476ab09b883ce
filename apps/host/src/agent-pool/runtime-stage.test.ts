import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { stageRuntimeDir } from './runtime-stage.js';

const cleanups = useCleanups();

function scratch(): { source: string; dataDir: string } {
  const root = cleanups.scratch('nanoclaw-runtime-stage');
  const source = path.join(root, 'private', 'bin');
  fs.mkdirSync(source, { recursive: true });
  fs.chmodSync(path.join(root, 'private'), 0o700); // like a checkout in a private home
  fs.writeFileSync(path.join(source, 'codex'), '#!/bin/sh\necho codex\n', { mode: 0o700 });
  fs.writeFileSync(path.join(source, 'helper'), 'data', { mode: 0o600 });
  return { source, dataDir: path.join(root, 'data') };
}

describe('stageRuntimeDir', () => {
  it('links the program folder into the data dir, readable and runnable by any sandbox user', async () => {
    const { source, dataDir } = scratch();
    const staged = await stageRuntimeDir(source, dataDir, 'codex');
    expect(staged).toBe(path.join(dataDir, 'sandbox', 'runtimes', 'codex'));
    expect(fs.readFileSync(path.join(staged, 'codex'), 'utf8')).toContain('echo codex');
    expect(fs.statSync(path.join(staged, 'codex')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(staged, 'helper')).mode & 0o055).toBe(0o055);
    expect(fs.statSync(staged).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(dataDir, 'sandbox', 'runtimes')).mode & 0o777).toBe(0o711);
    // A hard link, not a copy of hundreds of MB.
    expect(fs.statSync(path.join(staged, 'codex')).ino).toBe(fs.statSync(path.join(source, 'codex')).ino);
  });

  it('stages again only when a file changed', async () => {
    const { source, dataDir } = scratch();
    const staged = await stageRuntimeDir(source, dataDir, 'codex');
    const stamp = fs.statSync(path.join(staged, '.runtime-stamp')).mtimeMs;
    await stageRuntimeDir(source, dataDir, 'codex');
    expect(fs.statSync(path.join(staged, '.runtime-stamp')).mtimeMs).toBe(stamp);

    fs.rmSync(path.join(source, 'codex'));
    fs.writeFileSync(path.join(source, 'codex'), '#!/bin/sh\necho codex 2\n', { mode: 0o755 });
    await stageRuntimeDir(source, dataDir, 'codex');
    expect(fs.readFileSync(path.join(staged, 'codex'), 'utf8')).toContain('codex 2');
  });
});
