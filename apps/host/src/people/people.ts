import type { UserRow } from '@nanoclaw/db';
import type { GroupRegistry, HostDb } from '../groups/index.js';
import type { AuditLog } from './audit-log.js';
import { PeopleError } from './people-error.js';
import { parseUserId } from './user-id.js';

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

/** One role of a user: `owner` is global; `admin` global (no group) or of one group; `member` of one group. */
export interface RoleGrant {
  role: Role;
  /** The group's folder, or null for a global role. */
  group: string | null;
}

export interface UserView {
  id: string;
  platform: string;
  platformUserId: string;
  name: string | null;
  /** Every user id of the same person (this one included), when linked. */
  linked: string[];
  roles: RoleGrant[];
}

export interface AddUserInput {
  userId: string;
  role: Role;
  /** Folder: required for `member`, optional for `admin`, refused for `owner`. */
  group?: string;
  name?: string;
  /** Who granted it: a user id, `cli` or `api`. */
  actor: string;
}

export interface RemoveUserInput {
  userId: string;
  /** Only this role (and `group`); without it the user and all their roles go. */
  role?: Role;
  group?: string;
  actor: string;
}

/** Users, their roles and links: who may talk to a group and who may approve for it. */
export interface People {
  add(input: AddUserInput): Promise<UserView>;
  remove(input: RemoveUserInput): Promise<{ removed: number }>;
  /** Makes both user ids one person: a role of either applies to both. */
  link(a: string, b: string, actor: string): Promise<UserView[]>;
  list(): Promise<UserView[]>;
  get(userId: string): Promise<UserView | undefined>;
  hasOwner(): Promise<boolean>;
  /** Member or admin of the group, global admin, or owner (through any linked identity). */
  mayTalk(userId: string, groupId: string): Promise<boolean>;
  /** Admin of the group, global admin, or owner (through any linked identity). */
  mayApprove(userId: string, groupId: string | null): Promise<boolean>;
  /**
   * Who is asked to approve for a group, in order: the group's admins, then global admins, then owners; each
   * person with all their linked identities.
   */
  approverTiers(groupId: string | null): Promise<UserView[][]>;
}

export interface PeopleOptions {
  db: HostDb;
  registry: Pick<GroupRegistry, 'get' | 'getById'>;
  audit: AuditLog;
  now?: () => number;
}

export function createPeople(options: PeopleOptions): People {
  return new SqlitePeople(options);
}

interface RoleRow {
  user_id: string;
  role: string;
  group_id: string | null;
}

class SqlitePeople implements People {
  readonly #db: HostDb;
  readonly #registry: PeopleOptions['registry'];
  readonly #audit: AuditLog;
  readonly #now: () => number;

  constructor(options: PeopleOptions) {
    this.#db = options.db;
    this.#registry = options.registry;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
  }

  async add(input: AddUserInput): Promise<UserView> {
    const user = parseUserId(input.userId);
    const groupId = await this.#roleScope(input.role, input.group);
    const at = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({
          id: user.id,
          platform: user.platform,
          platform_user_id: user.platformUserId,
          name: input.name ?? null,
          person_id: user.id,
          created_at: at,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet(input.name === undefined ? { id: user.id } : { name: input.name }),
        )
        .execute();
      await trx
        .insertInto('user_roles')
        .values({
          user_id: user.id,
          role: input.role,
          group_id: groupId,
          granted_by: input.actor,
          created_at: at,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    });
    await this.#audit.record({
      kind: 'role',
      action: 'granted',
      groupId,
      actor: input.actor,
      subject: user.id,
      detail: { role: input.role, group: input.group ?? null },
    });
    return (await this.get(user.id)) as UserView;
  }

  async remove(input: RemoveUserInput): Promise<{ removed: number }> {
    const user = parseUserId(input.userId);
    if (!(await this.#userRow(user.id)))
      throw new PeopleError('not-found', `no user ${user.id} (see nanoclaw users list)`);
    if (input.role === undefined) {
      await this.#db.deleteFrom('users').where('id', '=', user.id).execute();
      await this.#audit.record({
        kind: 'role',
        action: 'user-removed',
        actor: input.actor,
        subject: user.id,
      });
      return { removed: 1 };
    }
    const groupId = await this.#roleScope(input.role, input.group);
    const result = await this.#db
      .deleteFrom('user_roles')
      .where('user_id', '=', user.id)
      .where('role', '=', input.role)
      .where((eb) => (groupId === null ? eb('group_id', 'is', null) : eb('group_id', '=', groupId)))
      .executeTakeFirst();
    const removed = Number(result.numDeletedRows);
    if (removed === 0) {
      throw new PeopleError(
        'not-found',
        `${user.id} has no role ${describeGrant({ role: input.role, group: input.group ?? null })}`,
      );
    }
    await this.#audit.record({
      kind: 'role',
      action: 'revoked',
      groupId,
      actor: input.actor,
      subject: user.id,
      detail: { role: input.role, group: input.group ?? null },
    });
    return { removed };
  }

  async link(a: string, b: string, actor: string): Promise<UserView[]> {
    const first = parseUserId(a);
    const second = parseUserId(b);
    if (first.id === second.id) throw new PeopleError('invalid', 'link needs two different user ids');
    const rowA = await this.#ensureUser(first.id);
    const rowB = await this.#ensureUser(second.id);
    await this.#db
      .updateTable('users')
      .set({ person_id: rowA.person_id })
      .where('person_id', '=', rowB.person_id)
      .execute();
    await this.#audit.record({
      kind: 'role',
      action: 'linked',
      actor,
      subject: first.id,
      detail: { with: second.id },
    });
    return [(await this.get(first.id)) as UserView, (await this.get(second.id)) as UserView];
  }

  async list(): Promise<UserView[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
    return this.#views(rows);
  }

  async get(userId: string): Promise<UserView | undefined> {
    const row = await this.#userRow(userId);
    return row ? (await this.#views([row]))[0] : undefined;
  }

  async hasOwner(): Promise<boolean> {
    const row = await this.#db
      .selectFrom('user_roles')
      .select('user_id')
      .where('role', '=', 'owner')
      .executeTakeFirst();
    return row !== undefined;
  }

  async mayTalk(userId: string, groupId: string): Promise<boolean> {
    return (await this.#personRoles(userId)).some(
      (r) =>
        r.role === 'owner' ||
        (r.role === 'admin' && (r.group_id === null || r.group_id === groupId)) ||
        (r.role === 'member' && r.group_id === groupId),
    );
  }

  async mayApprove(userId: string, groupId: string | null): Promise<boolean> {
    return (await this.#personRoles(userId)).some(
      (r) => r.role === 'owner' || (r.role === 'admin' && (r.group_id === null || r.group_id === groupId)),
    );
  }

  async approverTiers(groupId: string | null): Promise<UserView[][]> {
    const roles = await this.#db
      .selectFrom('user_roles')
      .select(['user_id', 'role', 'group_id'])
      .where('role', 'in', ['owner', 'admin'])
      .execute();
    const tiers = [
      roles.filter((r) => r.role === 'admin' && groupId !== null && r.group_id === groupId),
      roles.filter((r) => r.role === 'admin' && r.group_id === null),
      roles.filter((r) => r.role === 'owner'),
    ];
    const users = await this.list();
    const seen = new Set<string>();
    return tiers.map((tier) => {
      const persons = new Set(tier.flatMap((r) => users.find((u) => u.id === r.user_id)?.linked ?? []));
      const out = users.filter((u) => persons.has(u.id) && !seen.has(u.id));
      for (const u of out) seen.add(u.id);
      return out;
    });
  }

  /** The group id of a role's scope, checked against the role. */
  async #roleScope(role: Role, folder: string | undefined): Promise<string | null> {
    if (!ROLES.includes(role)) throw new PeopleError('invalid', `role must be one of ${ROLES.join(', ')}`);
    if (role === 'owner' && folder !== undefined)
      throw new PeopleError('invalid', 'owner is a global role: drop --group');
    if (role === 'member' && folder === undefined)
      throw new PeopleError('invalid', 'member needs --group <folder>');
    if (folder === undefined) return null;
    const group = await this.#registry.get(folder);
    if (!group) throw new PeopleError('not-found', `no group "${folder}" (see nanoclaw groups list)`);
    return group.id;
  }

  async #ensureUser(id: string): Promise<UserRow> {
    const existing = await this.#userRow(id);
    if (existing) return existing;
    const user = parseUserId(id);
    const row: UserRow = {
      id: user.id,
      platform: user.platform,
      platform_user_id: user.platformUserId,
      name: null,
      person_id: user.id,
      created_at: this.#now(),
    };
    await this.#db.insertInto('users').values(row).execute();
    return row;
  }

  #userRow(id: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The roles of every identity of the person behind this user id. */
  async #personRoles(userId: string): Promise<RoleRow[]> {
    return this.#db
      .selectFrom('user_roles')
      .innerJoin('users', 'users.id', 'user_roles.user_id')
      .select(['user_roles.user_id', 'user_roles.role', 'user_roles.group_id'])
      .where('users.person_id', '=', (eb) =>
        eb.selectFrom('users').select('person_id').where('id', '=', userId),
      )
      .execute();
  }

  async #views(rows: UserRow[]): Promise<UserView[]> {
    if (rows.length === 0) return [];
    const persons = [...new Set(rows.map((r) => r.person_id))];
    const identities = await this.#db
      .selectFrom('users')
      .select(['id', 'person_id'])
      .where('person_id', 'in', persons)
      .orderBy('id')
      .execute();
    const roles = await this.#db
      .selectFrom('user_roles')
      .select(['user_id', 'role', 'group_id'])
      .where(
        'user_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('created_at')
      .execute();
    const folders = new Map<string, string>();
    for (const id of new Set(roles.map((r) => r.group_id).filter((g): g is string => g !== null))) {
      folders.set(id, (await this.#registry.getById(id))?.folder ?? id);
    }
    return rows.map((row) => ({
      id: row.id,
      platform: row.platform,
      platformUserId: row.platform_user_id,
      name: row.name,
      linked: identities.filter((i) => i.person_id === row.person_id).map((i) => i.id),
      roles: roles
        .filter((r) => r.user_id === row.id)
        .map((r) => ({
          role: r.role as Role,
          group: r.group_id === null ? null : (folders.get(r.group_id) ?? r.group_id),
        })),
    }));
  }
}

/** `owner`, `admin (global)`, `admin of family`, `member of family`. */
export function describeGrant(grant: RoleGrant): string {
  if (grant.role === 'owner') return 'owner';
  if (grant.group === null) return `${grant.role} (global)`;
  return `${grant.role} of ${grant.group}`;
}
