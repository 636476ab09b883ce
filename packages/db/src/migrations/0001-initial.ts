import { type Kysely, sql } from 'kysely';

/**
 * The first schema. Every statement is `if not exists`, so applying it to a database that already has the
 * tables (a restore, a half-applied run) is harmless.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agent_groups')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('folder', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_main', 'integer', (c) => c.notNull().defaultTo(0).check(sql`is_main in (0, 1)`))
    .addColumn('trigger', 'text')
    .addColumn('agent_provider', 'text')
    .addColumn('container_config', 'text', (c) =>
      c.check(sql`container_config is null or json_valid(container_config)`),
    )
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  // At most one main group.
  await sql`create unique index if not exists agent_groups_one_main on agent_groups (is_main) where is_main = 1`.execute(
    db,
  );

  await db.schema
    .createTable('chat_bindings')
    .ifNotExists()
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull().references('agent_groups.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('sender_allowlist', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_bindings_pk', ['channel', 'account_id', 'chat_id'])
    .execute();
  await db.schema
    .createIndex('chat_bindings_group')
    .ifNotExists()
    .on('chat_bindings')
    .column('group_id')
    .execute();

  await db.schema
    .createTable('sessions')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_id', 'text', (c) => c.notNull().references('agent_groups.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('agent_provider', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('last_active_at', 'integer', (c) => c.notNull())
    .addUniqueConstraint('sessions_group_key', ['group_id', 'key'])
    .execute();

  await db.schema
    .createTable('session_continuations')
    .ifNotExists()
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('continuation', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_continuations_pk', ['session_id', 'provider'])
    .execute();

  await db.schema
    .createTable('inbound_messages')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('platform_message_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text')
    .addColumn('group_id', 'text', (c) => c.references('agent_groups.id').onDelete('set null'))
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('sender_name', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().check(sql`json_valid(payload)`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    // Redelivery of the same platform message is a no-op.
    .addUniqueConstraint('inbound_messages_platform_id', [
      'channel',
      'account_id',
      'chat_id',
      'platform_message_id',
    ])
    .execute();
  await db.schema
    .createIndex('inbound_messages_status')
    .ifNotExists()
    .on('inbound_messages')
    .columns(['status', 'id'])
    .execute();
  await db.schema
    .createIndex('inbound_messages_chat')
    .ifNotExists()
    .on('inbound_messages')
    .columns(['channel', 'account_id', 'chat_id', 'id'])
    .execute();

  await db.schema
    .createTable('outbound_messages')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text')
    .addColumn('group_id', 'text', (c) => c.references('agent_groups.id').onDelete('set null'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().check(sql`json_valid(payload)`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('platform_message_ids', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'integer')
    .execute();
  await db.schema
    .createIndex('outbound_messages_due')
    .ifNotExists()
    .on('outbound_messages')
    .columns(['status', 'next_attempt_at'])
    .execute();

  await db.schema
    .createTable('queue_items')
    .ifNotExists()
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('interactive', 'batch')`))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enqueued_at', 'integer', (c) => c.notNull())
    .addColumn('available_at', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('queue_items_status')
    .ifNotExists()
    .on('queue_items')
    .columns(['status', 'seq'])
    .execute();

  await db.schema
    .createTable('scheduled_tasks')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_id', 'text', (c) => c.notNull().references('agent_groups.id').onDelete('cascade'))
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('schedule', 'text', (c) => c.notNull().check(sql`json_valid(schedule)`))
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('misfire_policy', 'text', (c) => c.notNull())
    .addColumn('context_mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_run', 'integer')
    .addColumn('last_run', 'integer')
    .addColumn('created_by_group_id', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('scheduled_tasks_due')
    .ifNotExists()
    .on('scheduled_tasks')
    .columns(['status', 'next_run'])
    .execute();
  await db.schema
    .createIndex('scheduled_tasks_group')
    .ifNotExists()
    .on('scheduled_tasks')
    .column('group_id')
    .execute();

  await db.schema
    .createTable('task_run_logs')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull().references('scheduled_tasks.id').onDelete('cascade'))
    .addColumn('scheduled_for', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration_ms', 'integer')
    .addColumn('result_summary', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('task_run_logs_task')
    .ifNotExists()
    .on('task_run_logs')
    .columns(['task_id', 'started_at'])
    .execute();
  await db.schema
    .createIndex('task_run_logs_status')
    .ifNotExists()
    .on('task_run_logs')
    .column('status')
    .execute();

  await db.schema
    .createTable('usage')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('cached_input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('recorded_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('usage_group')
    .ifNotExists()
    .on('usage')
    .columns(['group_id', 'recorded_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'usage',
    'task_run_logs',
    'scheduled_tasks',
    'queue_items',
    'outbound_messages',
    'inbound_messages',
    'session_continuations',
    'sessions',
    'chat_bindings',
    'agent_groups',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
