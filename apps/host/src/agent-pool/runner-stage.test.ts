import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { stageRunnerBundle } from './runner-stage.js';

const cleanups = useCleanups();

function scratch(): string {
  return cleanups.scratch('nanoclaw-stage');
}

describe('stageRunnerBundle', () => {
  it('copies a bundle from a private folder into a folder any sandbox user can read', async () => {
    const root = scratch();
    const dist = path.join(root, 'private', 'dist');
    fs.mkdirSync(path.join(dist, 'chunks'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'main.js'), 'console.log(1)', { mode: 0o600 });
    fs.writeFileSync(path.join(dist, 'chunks', 'a.js'), 'x', { mode: 0o600 });
    fs.chmodSync(path.join(root, 'private'), 0o700);
    const staged = await stageRunnerBundle(dist, path.join(root, 'data'));
    expect(fs.readFileSync(path.join(staged, 'main.js'), 'utf8')).toBe('console.log(1)');
    expect(fs.statSync(staged).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(staged, 'chunks', 'a.js')).mode & 0o777).toBe(0o644);
    expect(fs.statSync(path.join(root, 'data', 'sandbox')).mode & 0o777).toBe(0o711);
  });

  it('keeps the copy while the bundle is unchanged and refreshes it when it changes', async () => {
    const root = scratch();
    const dist = path.join(root, 'dist');
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(dist, 'main.js'), 'v1');
    const staged = await stageRunnerBundle(dist, path.join(root, 'data'));
    const firstInode = fs.statSync(path.join(staged, 'main.js')).ino;
    await stageRunnerBundle(dist, path.join(root, 'data'));
    expect(fs.statSync(path.join(staged, 'main.js')).ino).toBe(firstInode);
    fs.writeFileSync(path.join(dist, 'main.js'), 'v2');
    await stageRunnerBundle(dist, path.join(root, 'data'));
    expect(fs.readFileSync(path.join(staged, 'main.js'), 'utf8')).toBe('v2');
  });
});
