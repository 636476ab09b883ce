import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test-utils.js';
import { checkFolderAccess } from './folder-access-check.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

const bwrap = { ok: true as const, name: 'bwrap', detail: 'bubblewrap' };
const user = { uid: 4242, gid: 4242 };

function project() {
  const root = tempDir('nanoclaw-folder-access-');
  roots.push(root);
  fs.chmodSync(root, 0o755);
  const groupsDir = path.join(root, 'groups');
  fs.mkdirSync(path.join(groupsDir, 'main'), { recursive: true });
  return { root, groupsDir };
}

describe('checkFolderAccess', () => {
  it('a data dir not created yet is judged by the folder it will be created in', async () => {
    const { root, groupsDir } = project();
    const locked = path.join(root, 'locked');
    fs.mkdirSync(locked, { mode: 0o700 });
    fs.chmodSync(locked, 0o700);
    const check = await checkFolderAccess({
      runtime: bwrap,
      groupsDir,
      dataDir: path.join(locked, 'data'),
      folders: ['main'],
      user,
    });
    expect(check?.status).toBe('fail');
    expect(check?.detail).toContain(
      `the sandbox user 4242:4242 cannot reach the data dir: ${locked} is not searchable for it`,
    );
    expect(check?.detail).not.toContain('groups/main');
  });

  it('has nothing to say for runtimes that do not bind folders as the sandbox user', async () => {
    const { root, groupsDir } = project();
    fs.chmodSync(root, 0o700);
    for (const runtime of [
      { ok: true as const, name: 'docker', detail: 'Docker' },
      { ok: true as const, name: 'process', detail: 'plain processes' },
      { ok: false as const, reason: 'none' },
    ]) {
      expect(
        await checkFolderAccess({
          runtime,
          groupsDir,
          dataDir: path.join(root, 'data'),
          folders: ['main'],
          user,
        }),
      ).toBeUndefined();
    }
  });
});
