import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../groups/test-support.js';
import { until } from '../host/test-utils/e2e-host.js';
import { pruneInboxes, schedulePruning } from './prune-inbox.js';

let root: string;
let groups: string;
const NOW = Date.UTC(2026, 11, 7, 12);

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'prune-inbox-'));
  groups = path.join(root, 'groups');
  await fs.mkdir(path.join(groups, 'main', 'inbox'), { recursive: true });
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function put(file: string, text = 'x'): Promise<string> {
  const full = path.join(groups, file);
  await fs.mkdir(path.dirname(full), { recursive: true });
  await fs.writeFile(full, text);
  return full;
}

const exists = (file: string) =>
  fs.lstat(path.join(groups, file)).then(
    () => true,
    () => false,
  );

describe('pruneInboxes', () => {
  it('removes old date folders and keeps recent ones and everything outside inbox/', async () => {
    await put('main/inbox/2026-10-01/1-old.jpg');
    await put('main/inbox/2026-12-01/2-new.jpg');
    await put('main/inbox/notes.txt');
    await put('main/inbox/not-a-date/3.jpg');
    await put('main/report-2026-10-01.md');
    await put('main/2026-10-01/agent.txt');
    await put('other/inbox/2026-10-02/4.ogg');
    const result = await pruneInboxes(
      { groupsDir: groups, retentionDays: 30, logger: createRecordingLogger() },
      NOW,
    );
    expect(result).toEqual({ files: 2, folders: 2 });
    expect(await exists('main/inbox/2026-10-01')).toBe(false);
    expect(await exists('other/inbox/2026-10-02')).toBe(false);
    for (const kept of [
      'main/inbox/2026-12-01/2-new.jpg',
      'main/inbox/notes.txt',
      'main/inbox/not-a-date/3.jpg',
      'main/report-2026-10-01.md',
      'main/2026-10-01/agent.txt',
    ])
      expect(await exists(kept)).toBe(true);
  });

  it('unlinks a symlink in an old date folder without touching its target', async () => {
    const target = await put('main/precious.txt', 'keep me');
    const outside = path.join(root, 'outside.txt');
    await fs.writeFile(outside, 'keep me too');
    await fs.mkdir(path.join(groups, 'main/inbox/2026-01-01'));
    await fs.symlink(target, path.join(groups, 'main/inbox/2026-01-01/a'));
    await fs.symlink(outside, path.join(groups, 'main/inbox/2026-01-01/b'));
    await fs.symlink(root, path.join(groups, 'main/inbox/2026-01-01/c'));
    await pruneInboxes({ groupsDir: groups, retentionDays: 30, logger: createRecordingLogger() }, NOW);
    expect(await exists('main/inbox/2026-01-01')).toBe(false);
    expect(await fs.readFile(target, 'utf8')).toBe('keep me');
    expect(await fs.readFile(outside, 'utf8')).toBe('keep me too');
  });

  it('never follows a symlinked inbox or date folder', async () => {
    const elsewhere = path.join(root, 'elsewhere');
    await fs.mkdir(path.join(elsewhere, '2026-01-01'), { recursive: true });
    await fs.writeFile(path.join(elsewhere, '2026-01-01', 'f'), 'x');
    await fs.mkdir(path.join(groups, 'linked'));
    await fs.symlink(elsewhere, path.join(groups, 'linked', 'inbox'));
    await fs.symlink(path.join(elsewhere, '2026-01-01'), path.join(groups, 'main/inbox/2026-01-02'));
    await pruneInboxes({ groupsDir: groups, retentionDays: 30, logger: createRecordingLogger() }, NOW);
    expect(await fs.readFile(path.join(elsewhere, '2026-01-01', 'f'), 'utf8')).toBe('x');
    expect(await exists('main/inbox/2026-01-02')).toBe(true);
  });

  it('keeps a date folder that still holds something other than files', async () => {
    await put('main/inbox/2026-01-01/sub/x');
    await put('main/inbox/2026-01-01/y');
    expect(
      await pruneInboxes({ groupsDir: groups, retentionDays: 1, logger: createRecordingLogger() }, NOW),
    ).toEqual({
      files: 1,
      folders: 0,
    });
    expect(await exists('main/inbox/2026-01-01/sub/x')).toBe(true);
  });
});

describe('schedulePruning', () => {
  it('prunes at once and again on its timer until stopped', async () => {
    const logger = createRecordingLogger();
    await put('main/inbox/2020-01-01/a');
    const stop = schedulePruning({ groupsDir: groups, retentionDays: 1, logger }, 50);
    await until(async () => !(await exists('main/inbox/2020-01-01')));
    await put('main/inbox/2020-01-02/b');
    await until(async () => !(await exists('main/inbox/2020-01-02')));
    await stop();
    await put('main/inbox/2020-01-03/c');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await exists('main/inbox/2020-01-03/c')).toBe(true);
  });
});
