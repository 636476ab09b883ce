import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { DatabaseOpenError, openDatabase } from './open-database.js';

describe('openDatabase', () => {
  it('creates missing parent folders', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-db-'));
    const handle = await openDatabase({ path: path.join(dir, 'a', 'b', 'nanoclaw.db') });
    expect(fs.existsSync(path.join(dir, 'a', 'b', 'nanoclaw.db'))).toBe(true);
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the database and its journal files private to their owner', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-db-'));
    const file = path.join(dir, 'nanoclaw.db');
    const handle = await openDatabase({ path: file });
    await handle.db
      .insertInto('agent_groups')
      .values({ id: 'g', folder: 'main', name: 'Main', is_main: 1, created_at: 1, updated_at: 1 })
      .execute();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the folder when the data directory cannot be created', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-db-'));
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'not a folder');
    const error = await openDatabase({ path: path.join(blocker, 'nanoclaw.db') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(errorMessage(error)).toContain(blocker);
    expect(errorMessage(error)).toContain('NANOCLAW_DATA_DIR');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file that is not a database, with its path in the message', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-db-'));
    const file = path.join(dir, 'nanoclaw.db');
    fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
    const error = await openDatabase({ path: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(errorMessage(error)).toContain(file);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
