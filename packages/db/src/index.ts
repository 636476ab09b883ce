/**
 * `@nanoclaw/db`: `openDatabase` (SQLite, migrated on open) and the SQLite stores of core's `QueueStore` and
 * `TaskStore`, and the token usage store. `Database` is the Kysely schema; its per-table types stay inside.
 */
export { migrations } from './migrations/index.js';
export type { NanoclawDatabase, OpenDatabaseOptions } from './open-database.js';
export { DatabaseOpenError, MigrationError, migrateToLatest, openDatabase } from './open-database.js';
export type {
  AgentGroupRow,
  ApprovalRow,
  AuditLogRow,
  Database,
  InboundMessageRow,
  OutboundMessageRow,
  UserRoleRow,
  UserRow,
} from './schema.js';
export type { SqliteQueueStore, SqliteQueueStoreOptions } from './stores/queue-store.js';
export { createSqliteQueueStore } from './stores/queue-store.js';
export { createSqliteTaskStore } from './stores/task-store.js';
export type { DailyUsage, UsageRecord, UsageStore } from './stores/usage-store.js';
export { createUsageStore } from './stores/usage-store.js';
