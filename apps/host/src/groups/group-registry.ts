import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type AgentGroup,
  type ChatBinding,
  type ContainerConfig,
  chatBindingSchema,
  type Logger,
  providerIdSchema,
  RESERVED_GROUP_FOLDERS,
} from '@nanoclaw/core';
import type { AgentGroupRow } from '@nanoclaw/db';
import type { Scheduler } from '@nanoclaw/scheduler';
import { createChatBindingStore } from './chat-bindings.js';
import { type ChatRef, formatChatRef, LOCAL_ACCOUNT, LOCAL_CHANNEL } from './chat-ref.js';
import {
  type ConfigIssue,
  configTriggerIssue,
  formatConfigIssue,
  groupSettingsFile,
  readGroupSettings,
} from './container-config-file.js';
import type { HostDb } from './db-types.js';
import { GroupError } from './group-error.js';
import {
  configStamp,
  ensureGroupDir,
  folderNameIssue,
  groupDirIssue,
  validateFolderName,
} from './group-folder.js';
import { compileTrigger } from './trigger.js';

/** A group as the host serves it: the stored group, its current settings (`groups/<folder>.container.json`), and why it is broken if it is. */
export interface RegisteredGroup extends AgentGroup {
  /** Set when the group cannot be served until its configuration is fixed; other groups are unaffected. */
  configError: ConfigIssue | null;
  /**
   * Who may talk to its agent: `public` (anyone in a bound chat), `members` (others are dropped), `request`
   * (others are held until an approver lets them in). Stored in the database, out of the agent's reach.
   */
  access: GroupAccess;
}

export type GroupAccess = 'public' | 'members' | 'request';
export const GROUP_ACCESS_MODES: readonly GroupAccess[] = ['public', 'members', 'request'];

export interface GroupRegistryOptions {
  db: HostDb;
  /** Absolute path of the groups folder (`NANOCLAW_GROUPS_DIR`). */
  groupsDir: string;
  logger?: Logger;
  /** The folder registered as the main group when none is. Default `main`. */
  mainFolder?: string;
  /** Used by `remove` to cancel the group's tasks before its rows go. */
  tasks?: Pick<Scheduler, 'listTasks' | 'cancelTask'>;
  now?: () => number;
  generateId?: () => string;
}

export interface AddGroupInput {
  folder: string;
  /** Defaults to the folder name. */
  name?: string;
  /** A regular expression source; null/absent = `@<ASSISTANT_NAME>`. */
  trigger?: string | null;
  provider?: string | null;
  /** At most one group is main. */
  isMain?: boolean;
  /** Bind this chat to the new group at once. */
  chat?: BindChatOptions & { ref: ChatRef };
}

export interface BindChatOptions {
  name?: string | null;
  /** Only these sender ids may trigger the agent; null = everyone. */
  senderAllowlist?: string[] | null;
}

export interface SyncReport {
  groups: RegisteredGroup[];
  /** Folders on disk with a valid name that no group uses; `add` adopts one. */
  unregistered: string[];
  /** Entries in the groups folder that can never be a group, with the reason. */
  invalidFolders: Array<{ name: string; error: string }>;
  /** Registered groups whose folder was missing and has been created. */
  createdFolders: string[];
}

export interface GroupRegistry {
  /** Loads every group's settings file, creates missing folders of registered groups, reports strays. */
  sync(): Promise<SyncReport>;
  list(): Promise<RegisteredGroup[]>;
  get(folder: string): Promise<RegisteredGroup | undefined>;
  getById(id: string): Promise<RegisteredGroup | undefined>;
  getMain(): Promise<RegisteredGroup | undefined>;
  /** Re-reads one group's folder and settings file now. */
  refresh(folder: string): Promise<RegisteredGroup>;
  add(input: AddGroupInput): Promise<RegisteredGroup>;
  /** Deletes the group, its bindings, sessions and tasks. The folder stays on disk. Refuses the main group. */
  remove(folder: string): Promise<void>;
  bindChat(ref: ChatRef, folder: string, options?: BindChatOptions): Promise<ChatBinding>;
  unbindChat(ref: ChatRef): Promise<boolean>;
  /** The binding of a chat; the local channel's `local:default:<folder>` is bound implicitly. */
  findBinding(ref: ChatRef): Promise<ChatBinding | undefined>;
  listBindings(filter?: { groupId?: string }): Promise<ChatBinding[]>;
  /** Sets the group's access gate (the caller checks who may). */
  setAccess(folder: string, access: GroupAccess): Promise<RegisteredGroup>;
  /** Absolute path of a group's folder; the name is validated first, so it never escapes the groups dir. */
  groupDir(folder: string): string;
}

interface LoadedState {
  stamp: string;
  config: ContainerConfig | null;
  error: ConfigIssue | null;
}

const DB_FILE = '(database)';

/**
 * The registry of agent groups: rows in `agent_groups` and `chat_bindings`, folders under `groupsDir`. Each
 * group's settings (`groups/<folder>.container.json`) are read without following symlinks and re-read when they change; a bad file marks
 * only that group (`configError`), never the host.
 */
export function createGroupRegistry(options: GroupRegistryOptions): GroupRegistry {
  return new SqliteGroupRegistry(options);
}

class SqliteGroupRegistry implements GroupRegistry {
  readonly #options: GroupRegistryOptions;
  readonly #db: HostDb;
  readonly #groupsDir: string;
  readonly #now: () => number;
  readonly #generateId: () => string;
  readonly #mainFolder: string;
  readonly #logger: Logger | undefined;
  readonly #bindings: ReturnType<typeof createChatBindingStore>;
  readonly #loaded = new Map<string, LoadedState>();

  constructor(options: GroupRegistryOptions) {
    this.#options = options;
    this.#db = options.db;
    this.#groupsDir = options.groupsDir;
    this.#now = options.now ?? Date.now;
    this.#generateId = options.generateId ?? randomUUID;
    this.#mainFolder = options.mainFolder ?? 'main';
    this.#logger = options.logger;
    this.#bindings = createChatBindingStore(options.db, this.#now);
  }

  async sync(): Promise<SyncReport> {
    fs.mkdirSync(this.#groupsDir, { recursive: true });
    const rows = await this.#ensureMainRow(await this.#allRows());
    const createdFolders = this.#createMissingFolders(rows);
    const groups: RegisteredGroup[] = [];
    for (const row of rows) groups.push(await this.#toGroup(row, true));
    const disk = scanDisk(this.#groupsDir, new Set(rows.map((row) => row.folder)));
    for (const stray of disk.invalidFolders) {
      this.#logger?.warn({ folder: stray.name }, `ignoring groups/ entry: ${stray.error}`);
    }
    return { groups, createdFolders, ...disk };
  }

  async list(): Promise<RegisteredGroup[]> {
    const groups: RegisteredGroup[] = [];
    for (const row of await this.#allRows()) groups.push(await this.#toGroup(row));
    return groups;
  }

  async get(folder: string): Promise<RegisteredGroup | undefined> {
    if (folderNameIssue(folder)) return undefined;
    const row = await this.#rowByFolder(folder);
    return row ? this.#toGroup(row) : undefined;
  }

  async getById(id: string): Promise<RegisteredGroup | undefined> {
    const row = await this.#rowById(id);
    return row ? this.#toGroup(row) : undefined;
  }

  async getMain(): Promise<RegisteredGroup | undefined> {
    const row = await this.#mainRow();
    return row ? this.#toGroup(row) : undefined;
  }

  async refresh(folder: string): Promise<RegisteredGroup> {
    return this.#toGroup(await this.#requireRow(folder), true);
  }

  async add(input: AddGroupInput): Promise<RegisteredGroup> {
    const { folder, name, trigger, provider } = checkAddInput(input);
    if (await this.#rowByFolder(folder)) throw new GroupError('conflict', `group "${folder}" already exists`);
    if (input.isMain) {
      const main = await this.#mainRow();
      if (main)
        throw new GroupError('conflict', `"${main.folder}" is already the main group; there is only one`);
    }
    const id = this.#generateId();
    const binding = input.chat ? checkedBinding(input.chat.ref, id, input.chat) : null;
    if (input.chat) await this.#refuseForeignBinding(input.chat.ref, id);
    ensureGroupDir(path.join(this.#groupsDir, folder), folder, name);
    const at = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('agent_groups')
        .values({
          id,
          folder,
          name,
          is_main: input.isMain ? 1 : 0,
          trigger,
          agent_provider: provider,
          created_at: at,
          updated_at: at,
        })
        .execute();
      if (binding) await this.#bindings.upsert(binding, trx);
    });
    this.#logger?.info({ folder, isMain: input.isMain === true }, `group "${folder}" registered`);
    return this.#toGroup(await this.#requireRow(folder), true);
  }

  async remove(folder: string): Promise<void> {
    const row = await this.#requireRow(folder);
    if (row.is_main === 1) throw new GroupError('forbidden', 'the main group cannot be removed');
    const { tasks } = this.#options;
    if (tasks) {
      for (const task of await tasks.listTasks({ groupId: row.id })) {
        if (task.status === 'active' || task.status === 'paused') await tasks.cancelTask(task.id);
      }
    }
    await this.#db.deleteFrom('agent_groups').where('id', '=', row.id).execute();
    this.#loaded.delete(row.id);
    this.#logger?.info({ folder }, `group "${folder}" removed; its folder stays on disk`);
  }

  async setAccess(folder: string, access: GroupAccess): Promise<RegisteredGroup> {
    if (!GROUP_ACCESS_MODES.includes(access)) {
      throw new GroupError('invalid', `access must be one of ${GROUP_ACCESS_MODES.join(', ')}`);
    }
    const row = await this.#requireRow(folder);
    await this.#db
      .updateTable('agent_groups')
      .set({ access, updated_at: this.#now() })
      .where('id', '=', row.id)
      .execute();
    return this.#toGroup({ ...row, access });
  }

  async bindChat(ref: ChatRef, folder: string, bindOptions?: BindChatOptions): Promise<ChatBinding> {
    const row = await this.#requireRow(folder);
    const binding = checkedBinding(ref, row.id, bindOptions);
    await this.#refuseForeignBinding(ref, row.id);
    await this.#bindings.upsert(binding);
    return binding;
  }

  unbindChat(ref: ChatRef): Promise<boolean> {
    return this.#bindings.remove(ref);
  }

  async findBinding(ref: ChatRef): Promise<ChatBinding | undefined> {
    const explicit = await this.#bindings.find(ref);
    if (explicit || ref.channel !== LOCAL_CHANNEL || ref.accountId !== LOCAL_ACCOUNT) return explicit;
    if (folderNameIssue(ref.chatId)) return undefined;
    const row = await this.#rowByFolder(ref.chatId);
    if (!row) return undefined;
    const { channel, accountId, chatId } = ref;
    return { channel, accountId, chatId, groupId: row.id, name: null, senderAllowlist: null };
  }

  listBindings(filter?: { groupId?: string }): Promise<ChatBinding[]> {
    return this.#bindings.list(filter);
  }

  groupDir(folder: string): string {
    return path.join(this.#groupsDir, validateFolderName(folder));
  }

  /** Changes when the folder, its settings file or the stored settings that are checked change. */
  #stampOf(row: AgentGroupRow): string {
    if (folderNameIssue(row.folder)) return 'bad-name';
    return `${configStamp(this.#groupsDir, row.folder)}|${JSON.stringify([row.trigger, row.agent_provider])}`;
  }

  async #inspect(row: AgentGroupRow): Promise<LoadedState> {
    const nameIssue = folderNameIssue(row.folder);
    if (nameIssue)
      return { stamp: 'bad-name', config: null, error: { file: DB_FILE, key: 'folder', message: nameIssue } };
    const dir = path.join(this.#groupsDir, row.folder);
    const stamp = this.#stampOf(row);
    const dirIssue = groupDirIssue(dir, row.folder);
    if (dirIssue) return { stamp, config: null, error: dirIssue };
    const result = await readGroupSettings(this.#groupsDir, row.folder);
    if (result.error) return { stamp, config: null, error: result.error };
    const error = settingsIssue(row) ?? configTriggerIssue(result.config, groupSettingsFile(row.folder));
    return { stamp, config: error ? null : result.config, error };
  }

  async #state(row: AgentGroupRow, force = false): Promise<LoadedState> {
    const known = this.#loaded.get(row.id);
    if (known && !force && known.stamp === this.#stampOf(row)) return known;
    const next = await this.#inspect(row);
    this.#loaded.set(row.id, next);
    const described = next.error ? formatConfigIssue(next.error) : null;
    if (described && described !== (known?.error ? formatConfigIssue(known.error) : null)) {
      this.#logger?.error(
        { folder: row.folder, configError: next.error },
        `group "${row.folder}" is not served until its configuration is fixed: ${described}`,
      );
    }
    await this.#cacheConfig(row, next.config);
    return next;
  }

  async #cacheConfig(row: AgentGroupRow, config: ContainerConfig | null): Promise<void> {
    const json = config === null ? null : JSON.stringify(config);
    if (json === row.container_config) return;
    await this.#db
      .updateTable('agent_groups')
      .set({ container_config: json, updated_at: this.#now() })
      .where('id', '=', row.id)
      .execute();
    row.container_config = json;
  }

  async #toGroup(row: AgentGroupRow, force = false): Promise<RegisteredGroup> {
    const loadedState = await this.#state(row, force);
    return {
      id: row.id,
      folder: row.folder,
      name: row.name,
      isMain: row.is_main === 1,
      trigger: row.trigger,
      agentProvider: row.agent_provider,
      containerConfig: loadedState.config,
      createdAt: row.created_at,
      configError: loadedState.error,
      access: toAccess(row.access),
    };
  }

  #selectGroups() {
    return this.#db.selectFrom('agent_groups').selectAll();
  }
  #rowByFolder(folder: string) {
    return this.#selectGroups().where('folder', '=', folder).executeTakeFirst();
  }
  #rowById(id: string) {
    return this.#selectGroups().where('id', '=', id).executeTakeFirst();
  }
  #mainRow() {
    return this.#selectGroups().where('is_main', '=', 1).executeTakeFirst();
  }
  #allRows() {
    return this.#selectGroups().orderBy('is_main', 'desc').orderBy('folder').execute();
  }

  async #ensureMainRow(rows: AgentGroupRow[]): Promise<AgentGroupRow[]> {
    const mainFolder = this.#mainFolder;
    if (rows.some((row) => row.is_main === 1) || rows.some((row) => row.folder === mainFolder)) return rows;
    if (groupDirIssue(path.join(this.#groupsDir, validateFolderName(mainFolder)), mainFolder)) return rows;
    const at = this.#now();
    await this.#db
      .insertInto('agent_groups')
      .values({
        id: mainFolder,
        folder: mainFolder,
        name: 'Main',
        is_main: 1,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return this.#allRows();
  }

  #createMissingFolders(rows: AgentGroupRow[]): string[] {
    const created: string[] = [];
    for (const row of rows) {
      if (folderNameIssue(row.folder)) continue;
      const dir = path.join(this.#groupsDir, row.folder);
      if (fs.lstatSync(dir, { throwIfNoEntry: false })) continue;
      ensureGroupDir(dir, row.folder, row.name);
      created.push(row.folder);
      this.#logger?.warn(
        { folder: row.folder },
        `group folder groups/${row.folder} was missing and has been created`,
      );
    }
    return created;
  }

  async #requireRow(folder: string): Promise<AgentGroupRow> {
    const row = await this.#rowByFolder(validateFolderName(folder));
    if (!row) throw new GroupError('not-found', `no group with folder "${folder}"`);
    return row;
  }

  async #refuseForeignBinding(ref: ChatRef, groupId: string): Promise<void> {
    const existing = await this.#bindings.find(ref);
    if (existing && existing.groupId !== groupId) {
      const owner = await this.#rowById(existing.groupId);
      throw new GroupError(
        'conflict',
        `chat ${formatChatRef(ref)} is already bound to group "${owner?.folder ?? existing.groupId}"; unbind it first`,
      );
    }
  }
}

function scanDisk(
  groupsDir: string,
  known: Set<string>,
): Pick<SyncReport, 'unregistered' | 'invalidFolders'> {
  const unregistered: string[] = [];
  const invalidFolders: SyncReport['invalidFolders'] = [];
  for (const entry of fs.readdirSync(groupsDir, { withFileTypes: true })) {
    const reserved = (RESERVED_GROUP_FOLDERS as readonly string[]).includes(entry.name.toLowerCase());
    if (entry.name.startsWith('.') || reserved || known.has(entry.name)) continue;
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const nameIssue = folderNameIssue(entry.name);
    if (nameIssue) invalidFolders.push({ name: entry.name, error: `group folder ${nameIssue}` });
    else if (entry.isSymbolicLink()) invalidFolders.push({ name: entry.name, error: 'is a symlink' });
    else unregistered.push(entry.name);
  }
  return { unregistered: unregistered.sort(), invalidFolders };
}

function checkedBinding(ref: ChatRef, groupId: string, bindOptions: BindChatOptions = {}): ChatBinding {
  const candidate = {
    channel: ref.channel,
    accountId: ref.accountId,
    chatId: ref.chatId,
    groupId,
    name: bindOptions.name ?? null,
    senderAllowlist: bindOptions.senderAllowlist ?? null,
  };
  const parsed = chatBindingSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GroupError(
      'invalid',
      `chat binding ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'is invalid'}`,
    );
  }
  if (ref.channel.includes(':') || ref.accountId.includes(':')) {
    throw new GroupError('invalid', 'chat binding: channel and account ids must not contain ":"');
  }
  return parsed.data;
}

function checkAddInput(input: AddGroupInput) {
  const folder = validateFolderName(input.folder);
  const name = input.name?.trim() || folder;
  if (name.length > 200) throw new GroupError('invalid', 'group name must be at most 200 characters');
  const trigger = input.trigger?.trim() || null;
  const badTrigger = triggerIssue(trigger, 'trigger');
  if (badTrigger) throw new GroupError('invalid', `trigger ${badTrigger.message}`);
  const provider = input.provider?.trim() || null;
  if (provider !== null && !providerIdSchema.safeParse(provider).success) {
    throw new GroupError(
      'invalid',
      `provider "${provider}" must be a lower-case provider id such as "claude"`,
    );
  }
  return { folder, name, trigger, provider };
}

function settingsIssue(row: AgentGroupRow): ConfigIssue | null {
  if (row.agent_provider !== null && !providerIdSchema.safeParse(row.agent_provider).success) {
    return { file: DB_FILE, key: 'agent_provider', message: `"${row.agent_provider}" is not a provider id` };
  }
  return triggerIssue(row.trigger, DB_FILE);
}

function triggerIssue(source: string | null | undefined, file: string): ConfigIssue | null {
  if (source === null || source === undefined) return null;
  const compiled = compileTrigger(source);
  return compiled.ok ? null : { file, key: 'trigger', message: compiled.error };
}

function toAccess(value: string): GroupAccess {
  return (GROUP_ACCESS_MODES as readonly string[]).includes(value) ? (value as GroupAccess) : 'members';
}
