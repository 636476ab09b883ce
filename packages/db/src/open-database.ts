import fs from 'node:fs';
import path from 'node:path';
import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type MigrationResultSet, Migrator, SqliteDialect } from 'kysely';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export interface OpenDatabaseOptions {
  /** File path, or `:memory:` for tests. Parent folders are created. */
  path: string;
  /** How long a writer waits for a lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Apply pending migrations on open. Default true. */
  migrate?: boolean;
}

export interface NanoclawDatabase {
  readonly db: Kysely<Database>;
  /** The raw connection, for pragmas and synchronous transactions on hot paths. */
  readonly sqlite: SqliteDatabase.Database;
  readonly path: string;
  close(): Promise<void>;
}

/** Thrown when the database cannot be opened or migrated; the message says what to fix. */
export class DatabaseOpenError extends NanoclawError<'database-open-failed'> {
  constructor(
    message: string,
    readonly dbPath: string,
    options?: NanoclawErrorOptions,
  ) {
    super('database-open-failed', message, options);
    this.name = 'DatabaseOpenError';
  }
}

/** A migration failed (the database is left as it was before it). */
export class MigrationError extends NanoclawError<'migration-failed'> {
  constructor(
    message: string,
    readonly migrationName: string | undefined,
    options?: NanoclawErrorOptions,
  ) {
    super('migration-failed', message, options);
    this.name = 'MigrationError';
  }
}

/**
 * Opens (and by default migrates) the host's database: WAL journal, `synchronous=NORMAL`, a busy timeout and
 * foreign keys on.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<NanoclawDatabase> {
  const sqlite = openSqlite(options.path, options.busyTimeoutMs ?? 5000);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const handle: NanoclawDatabase = {
    db,
    sqlite,
    path: options.path,
    close: async () => {
      await db.destroy();
    },
  };
  if (options.migrate ?? true) {
    try {
      await migrateToLatest(db);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  return handle;
}

function openSqlite(dbPath: string, busyTimeoutMs: number): SqliteDatabase.Database {
  const inMemory = dbPath === ':memory:';
  if (!inMemory) {
    const dir = path.dirname(path.resolve(dbPath));
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (error) {
      throw new DatabaseOpenError(
        `cannot write the data directory ${dir}: ${describe(error)}. Set NANOCLAW_DATA_DIR to a writable folder.`,
        dbPath,
        { cause: error },
      );
    }
  }
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = new SqliteDatabase(dbPath, { timeout: busyTimeoutMs });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    if (!inMemory) restrictToOwner(dbPath);
    const check = sqlite.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
  } catch (error) {
    throw new DatabaseOpenError(
      `cannot open the database ${dbPath}: ${diskFull(dbPath) ?? ''}${describe(error)}`,
      dbPath,
      { cause: error },
    );
  }
  return sqlite;
}

/**
 * SQLite reports a full disk as a bare "disk I/O error" when it cannot grow its shared-memory file: name the real
 * cause when the device holding the database has (almost) no space left.
 */
function diskFull(dbPath: string): string | undefined {
  if (dbPath === ':memory:') return undefined;
  const dir = path.dirname(path.resolve(dbPath));
  try {
    const stats = fs.statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    if (free >= 1024 * 1024) return undefined;
    return `the disk holding ${dir} is full (${free} bytes free); free some space or set NANOCLAW_DATA_DIR to another disk. `;
  } catch {
    return undefined;
  }
}

/** Applies every pending migration in order. Running it again is a no-op. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${describe(result.error)}`,
      failed?.migrationName,
      { cause: result.error },
    );
  }
  return result;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The database holds every message: only its owner may read it. SQLite creates `-wal` and `-shm` with the
 * database file's mode, so tightening the files once keeps them private.
 */
function restrictToOwner(dbPath: string): void {
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      fs.chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
