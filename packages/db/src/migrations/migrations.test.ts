import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../open-database.js';
import type { Database } from '../schema.js';
import { migrations } from './index.js';

const EXPECTED_TABLES = [
  'agent_groups',
  'approvals',
  'audit_log',
  'chat_bindings',
  'inbound_messages',
  'outbound_messages',
  'queue_items',
  'scheduled_tasks',
  'session_continuations',
  'sessions',
  'task_run_logs',
  'usage',
  'user_roles',
  'users',
];

const dirs: string[] = [];
function tempDb(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-db-'));
  dirs.push(dir);
  return path.join(dir, 'nanoclaw.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function tableNames(db: Kysely<Database>): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'
    order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

describe('migrations', () => {
  it('are numbered and sorted', () => {
    const names = Object.keys(migrations);
    expect(names).toEqual([...names].sort());
    for (const name of names) expect(name).toMatch(/^\d{4}-[a-z0-9-]+$/);
  });

  it('apply in full to an empty database', async () => {
    const handle = await openDatabase({ path: tempDb() });
    expect(await tableNames(handle.db)).toEqual(EXPECTED_TABLES);
    const journal = handle.sqlite.pragma('journal_mode', { simple: true });
    expect(journal).toBe('wal');
    expect(handle.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    await handle.close();
  });

  it('re-run as a no-op, keeping data', async () => {
    const file = tempDb();
    const first = await openDatabase({ path: file });
    await first.db
      .insertInto('agent_groups')
      .values({ id: 'g1', folder: 'main', name: 'Main', is_main: 1, created_at: 1, updated_at: 1 })
      .execute();
    const again = await migrateToLatest(first.db);
    expect(again.results).toEqual([]);
    await first.close();

    const reopened = await openDatabase({ path: file });
    expect(await reopened.db.selectFrom('agent_groups').select('folder').execute()).toEqual([
      { folder: 'main' },
    ]);
    await reopened.close();
  });

  it('each migration is itself idempotent when its bookkeeping is lost', async () => {
    const sqlite = new SqliteDatabase(':memory:');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    for (const migration of Object.values(migrations)) {
      await migration.up(db);
      await migration.up(db);
    }
    expect(await tableNames(db)).toEqual(EXPECTED_TABLES);
    await db.destroy();
  });

  it('0002 upgrades a 0001 database in place: groups keep their rows and are public', async () => {
    const sqlite = new SqliteDatabase(':memory:');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    await migrations['0001-initial']?.up(db);
    await sql`insert into agent_groups (id, folder, name, is_main, created_at, updated_at)
      values ('g1', 'main', 'Main', 1, 1, 1)`.execute(db);
    await migrations['0002-people']?.up(db);
    expect(await db.selectFrom('agent_groups').select(['folder', 'access']).execute()).toEqual([
      { folder: 'main', access: 'public' },
    ]);
    await expect(sql`update agent_groups set access = 'open'`.execute(db)).rejects.toThrow(/CHECK/);
    await db.destroy();
  });

  it('keep roles in their scope: one owner row per user, members only of a group', async () => {
    const handle = await openDatabase({ path: ':memory:' });
    const { db } = handle;
    await db
      .insertInto('users')
      .values({
        id: 'telegram:1',
        platform: 'telegram',
        platform_user_id: '1',
        name: null,
        person_id: 'telegram:1',
        created_at: 1,
      })
      .execute();
    const role = { user_id: 'telegram:1', granted_by: null, created_at: 1 };
    await db
      .insertInto('user_roles')
      .values({ ...role, role: 'owner', group_id: null })
      .execute();
    await expect(
      db
        .insertInto('user_roles')
        .values({ ...role, role: 'owner', group_id: null })
        .execute(),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      db
        .insertInto('user_roles')
        .values({ ...role, role: 'member', group_id: null })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    await expect(
      db
        .insertInto('user_roles')
        .values({ ...role, role: 'king', group_id: null })
        .execute(),
    ).rejects.toThrow(/CHECK/);
    await handle.close();
  });

  it('enforce the rules the host relies on', async () => {
    const handle = await openDatabase({ path: ':memory:' });
    const { db } = handle;
    await db
      .insertInto('agent_groups')
      .values({ id: 'g1', folder: 'main', name: 'Main', is_main: 1, created_at: 1, updated_at: 1 })
      .execute();
    // only one main group
    await expect(
      db
        .insertInto('agent_groups')
        .values({ id: 'g2', folder: 'other', name: 'Other', is_main: 1, created_at: 1, updated_at: 1 })
        .execute(),
    ).rejects.toThrow(/UNIQUE/);
    // inbound redelivery is rejected by the unique key
    const message = {
      channel: 'telegram',
      account_id: 'default',
      chat_id: '42',
      platform_message_id: '7',
      sender_id: 'u1',
      text: 'hi',
      payload: '{}',
      status: 'received',
      sent_at: 1,
      received_at: 1,
      updated_at: 1,
    };
    await db.insertInto('inbound_messages').values(message).execute();
    await expect(db.insertInto('inbound_messages').values(message).execute()).rejects.toThrow(/UNIQUE/);
    // foreign keys are enforced
    await expect(
      db
        .insertInto('sessions')
        .values({ id: 's1', group_id: 'nope', key: 'main', created_at: 1, last_active_at: 1 })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
    await handle.close();
  });
});
