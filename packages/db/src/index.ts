export { migrations } from './migrations/index.js';
export type { NanoclawDatabase, OpenDatabaseOptions } from './open-database.js';
export { DatabaseOpenError, MigrationError, migrateToLatest, openDatabase } from './open-database.js';
export type {
  AgentGroupRow,
  AgentGroupsTable,
  AgentGroupUpdate,
  ChatBindingsTable,
  Database,
  InboundMessageRow,
  InboundMessagesTable,
  NewAgentGroupRow,
  OutboundMessageRow,
  OutboundMessagesTable,
  QueueItemRow,
  QueueItemsTable,
  ScheduledTaskRow,
  ScheduledTasksTable,
  SessionContinuationsTable,
  SessionsTable,
  TaskRunLogRow,
  TaskRunLogsTable,
  UsageTable,
} from './schema.js';
export type { SqliteQueueStore, SqliteQueueStoreOptions } from './stores/queue-store.js';
export { createSqliteQueueStore } from './stores/queue-store.js';
export { createSqliteTaskStore } from './stores/task-store.js';
