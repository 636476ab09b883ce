import {
  type NewQueueItem,
  QUEUE_STORE_SPEC_VERSION,
  type QueueItem,
  type QueueItemStatus,
  type QueueStore,
  type WorkPriority,
} from '@nanoclaw/core';
import type SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type Kysely } from 'kysely';
import type { NanoclawDatabase } from '../open-database.js';
import type { Database } from '../schema.js';

export interface SqliteQueueStoreOptions<P> {
  /** Payload to TEXT. Default `JSON.stringify`. */
  serialize?: (payload: P) => string;
  /** TEXT to payload. Default `JSON.parse`. */
  deserialize?: (text: string) => P;
  /** Clock for `updated_at` (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/** The SQLite `QueueStore`, plus housekeeping. */
export interface SqliteQueueStore<P> extends QueueStore<P> {
  /** Deletes `done` and `cancelled` rows last updated before `before` (epoch ms). Resolves with how many. */
  prune(before: number): Promise<number>;
}

/**
 * A `QueueStore` on the `queue_items` table.
 *
 * Durability: a method's promise resolves only after the transaction holding its write has committed, so
 * the queue never calls a worker before `running` (and the try count) is on disk, and a crash loses no
 * transition it was told about. Writes issued in the same tick share one transaction (group commit): that is
 * where the speed comes from, and it changes nothing above because no promise resolves before its commit.
 * The database runs WAL with `synchronous=NORMAL`: a process crash loses nothing committed; a power loss or
 * OS crash can roll back the last commits, and the queue then redoes those transitions.
 *
 * Pass the handle from `openDatabase()` to run prepared statements on its better-sqlite3 connection (fast).
 * A bare `Kysely<Database>` works too, through kysely (about three times slower). Either way each batch
 * holds kysely's connection, so it never lands inside another store's open transaction.
 */
export function createSqliteQueueStore<P = unknown>(
  database: Kysely<Database> | NanoclawDatabase,
  options: SqliteQueueStoreOptions<P> = {},
): SqliteQueueStore<P> {
  const serialize = options.serialize ?? ((payload: P) => JSON.stringify(payload));
  const deserialize = options.deserialize ?? ((text: string) => JSON.parse(text) as P);
  const now = options.now ?? Date.now;
  const submit = createGroupCommit(
    isHandle(database) ? rawBatch(database.db, database.sqlite) : kyselyBatch(database),
  );
  const toItem = (row: Row): QueueItem<P> => rowToItem(row, deserialize);
  const transition = async (id: string, sql: string, params: SqlValue[]): Promise<void> => {
    const result = await submit({ sql, params: [...params, now(), id] });
    if (result.changes === 0) throw new Error(`queue item ${id} is not in the store`);
  };

  return {
    specificationVersion: QUEUE_STORE_SPEC_VERSION,
    async add(item: NewQueueItem<P>) {
      const payload = serialize(item.payload);
      if (typeof payload !== 'string') {
        throw new Error(`the payload of queue item ${item.id} does not serialize to text (is it undefined?)`);
      }
      const result = await submit({
        sql: INSERT,
        params: [item.id, item.groupKey, item.priority, payload, item.enqueuedAt, item.enqueuedAt, now()],
      });
      const seq = result.rows[0]?.seq;
      if (typeof seq !== 'number') throw new Error(`queue item ${item.id} was not stored`);
      return {
        ...item,
        status: 'queued',
        tries: 0,
        seq,
        availableAt: item.enqueuedAt,
        lastError: null,
      };
    },
    markRunning: (id, tries) => transition(id, SET_RUNNING, [tries]),
    markQueued: (id, update) =>
      transition(id, SET_QUEUED, [update.tries, update.availableAt, update.lastError]),
    markDone: (id) => transition(id, SET_STATUS, ['done']),
    markDead: (id, lastError) => transition(id, SET_DEAD, [lastError]),
    markCancelled: (id) => transition(id, SET_STATUS, ['cancelled']),
    async recover() {
      // Both go into the same transaction: submitted in one tick, run in order.
      const [, unfinished] = await Promise.all([
        submit({ sql: REQUEUE_RUNNING, params: [now()] }),
        submit({ sql: SELECT_UNFINISHED, params: [] }),
      ]);
      return unfinished.rows.map(toItem);
    },
    async listDead(limit) {
      if (!(limit > 0)) return [];
      const result = await submit({ sql: SELECT_DEAD, params: [Math.trunc(limit)] });
      return result.rows.map(toItem);
    },
    async prune(before) {
      const result = await submit({ sql: PRUNE, params: [before] });
      return result.changes;
    },
  };
}

const INSERT = `insert into queue_items
  (id, group_key, priority, payload, status, tries, enqueued_at, available_at, last_error, updated_at)
  values (?, ?, ?, ?, 'queued', 0, ?, ?, null, ?) returning seq`;
const SET_RUNNING = `update queue_items set status = 'running', tries = ?, updated_at = ? where id = ?`;
const SET_QUEUED = `update queue_items set status = 'queued', tries = ?, available_at = ?, last_error = ?,
  updated_at = ? where id = ?`;
const SET_STATUS = `update queue_items set status = ?, updated_at = ? where id = ?`;
const SET_DEAD = `update queue_items set status = 'dead', last_error = ?, updated_at = ? where id = ?`;
/** A crashed try already counts: `markRunning` wrote `tries` before the worker was called. */
const REQUEUE_RUNNING = `update queue_items set status = 'queued',
  last_error = 'interrupted: the process stopped during try ' || tries, updated_at = ?
  where status = 'running'`;
const SELECT_UNFINISHED = `select * from queue_items where status in ('queued', 'running') order by seq`;
const SELECT_DEAD = `select * from queue_items where status = 'dead'
  order by updated_at desc, seq desc limit ?`;
const PRUNE = `delete from queue_items where status in ('done', 'cancelled') and updated_at < ?`;

type SqlValue = string | number | null;
type Row = Record<string, unknown>;

interface Statement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

interface StatementOk {
  ok: true;
  rows: Row[];
  changes: number;
}

type StatementResult = StatementOk | { ok: false; error: unknown };

/** Runs the statements in order in one transaction; one failing statement fails only itself. */
type RunBatch = (statements: Statement[]) => Promise<StatementResult[]>;

function isHandle(database: Kysely<Database> | NanoclawDatabase): database is NanoclawDatabase {
  return 'sqlite' in database && 'db' in database;
}

/**
 * Group commit: statements submitted in the same tick (or while the previous batch is being written) are
 * written together in one transaction, in submission order; each promise resolves after that commit.
 */
function createGroupCommit(runBatch: RunBatch): (statement: Statement) => Promise<StatementOk> {
  type Pending = { statement: Statement; resolve: (ok: StatementOk) => void; reject: (e: unknown) => void };
  let pending: Pending[] = [];
  let busy = false;

  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const results = await runBatch(batch.map((p) => p.statement));
      batch.forEach((p, i) => {
        const result = results[i];
        if (result?.ok) p.resolve(result);
        else p.reject(result ? result.error : new Error('statement not run'));
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      busy = pending.length > 0;
      // flush never rejects: a failed batch rejects its own statements' promises above.
      if (busy) queueMicrotask(() => void flush());
    }
  };

  return (statement) =>
    new Promise<StatementOk>((resolve, reject) => {
      pending.push({ statement, resolve, reject });
      if (busy) return;
      busy = true;
      queueMicrotask(() => void flush());
    });
}

/** Prepared statements on the raw connection, one immediate transaction per batch, under kysely's lock. */
function rawBatch(db: Kysely<Database>, sqlite: SqliteDatabase.Database): RunBatch {
  const prepared = new Map<string, SqliteDatabase.Statement>();
  const prepare = (sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
  const runOne = (statement: Statement): StatementResult => {
    try {
      const prepared = prepare(statement.sql);
      if (prepared.reader) return { ok: true, rows: prepared.all(...statement.params) as Row[], changes: 0 };
      return { ok: true, rows: [], changes: prepared.run(...statement.params).changes };
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll the whole transaction back: then nothing committed.
      if (!sqlite.inTransaction) throw error;
      return { ok: false, error };
    }
  };
  const runAll = sqlite.transaction((statements: Statement[]) => statements.map(runOne));
  return (statements) =>
    db.connection().execute(async () => {
      if (sqlite.inTransaction) {
        throw new Error('the queue store found a transaction open outside kysely on its connection');
      }
      return runAll.immediate(statements);
    });
}

/** The same through kysely, for callers that only have a `Kysely<Database>`. */
function kyselyBatch(db: Kysely<Database>): RunBatch {
  return (statements) =>
    db.transaction().execute(async (trx) => {
      const results: StatementResult[] = [];
      for (const statement of statements) {
        try {
          const result = await trx.executeQuery<Row>(CompiledQuery.raw(statement.sql, [...statement.params]));
          results.push({ ok: true, rows: [...result.rows], changes: Number(result.numAffectedRows ?? 0n) });
        } catch (error) {
          results.push({ ok: false, error });
        }
      }
      return results;
    });
}

function rowToItem<P>(row: Row, deserialize: (text: string) => P): QueueItem<P> {
  const id = String(row.id);
  let payload: P;
  try {
    payload = deserialize(String(row.payload));
  } catch (error) {
    throw new Error(`queue item ${id} has a payload that cannot be read back`, { cause: error });
  }
  return {
    id,
    groupKey: String(row.group_key),
    priority: row.priority as WorkPriority,
    payload,
    status: row.status as QueueItemStatus,
    tries: Number(row.tries),
    seq: Number(row.seq),
    enqueuedAt: Number(row.enqueued_at),
    availableAt: Number(row.available_at),
    lastError: row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
  };
}
