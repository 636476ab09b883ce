import { type Kysely, sql } from 'kysely';

/**
 * People and approvals: users (a person on one platform, linkable into one person), their roles, each group's
 * access gate, durable approvals and questions, and one audit log. `if not exists` throughout, like 0001.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createUsers(db);
  await createApprovals(db);
  await createAuditLog(db);
  if (await hasColumn(db, 'agent_groups', 'access')) return;
  await db.schema
    .alterTable('agent_groups')
    .addColumn('access', 'text', (c) =>
      c.notNull().defaultTo('public').check(sql`access in ('public', 'members', 'request')`),
    )
    .execute();
}

async function hasColumn(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return rows.some((row) => row.name === column);
}

async function createUsers(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('platform_user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_person').ifNotExists().on('users').column('person_id').execute();
  await db.schema
    .createTable('user_roles')
    .ifNotExists()
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'member')`))
    .addColumn('group_id', 'text', (c) => c.references('agent_groups.id').onDelete('cascade'))
    .addColumn('granted_by', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addCheckConstraint(
      'user_roles_scope',
      sql`(role = 'owner' and group_id is null) or role = 'admin' or (role = 'member' and group_id is not null)`,
    )
    .execute();
  await sql`create unique index if not exists user_roles_unique on user_roles (user_id, role, coalesce(group_id, ''))`.execute(
    db,
  );
}

async function createApprovals(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('approvals')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('access-request', 'question')`))
    .addColumn('group_id', 'text', (c) => c.references('agent_groups.id').onDelete('cascade'))
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull().check(sql`json_valid(options)`))
    .addColumn('subject', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('asked_user', 'text')
    .addColumn('payload', 'text', (c) => c.notNull().check(sql`json_valid(payload)`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('delivered_to', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .addColumn('decided_at', 'integer')
    .addColumn('decided_by', 'text')
    .addColumn('decision', 'text')
    .execute();
  await db.schema
    .createIndex('approvals_status')
    .ifNotExists()
    .on('approvals')
    .columns(['status', 'expires_at'])
    .execute();
}

async function createAuditLog(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text')
    .addColumn('actor', 'text')
    .addColumn('subject', 'text')
    .addColumn('detail', 'text', (c) => c.notNull().check(sql`json_valid(detail)`))
    .execute();
  await db.schema.createIndex('audit_log_at').ifNotExists().on('audit_log').column('at').execute();
  await db.schema
    .createIndex('audit_log_group')
    .ifNotExists()
    .on('audit_log')
    .columns(['group_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'approvals', 'user_roles', 'users']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('agent_groups').dropColumn('access').execute();
}
