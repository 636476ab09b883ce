import fs from 'node:fs';
import path from 'node:path';
import type { ContainerConfig } from '@nanoclaw/core';
import { type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import { selectSkills } from '../../agent-pool/agent-context.js';
import { AgentPoolError } from '../../agent-pool/agent-pool-error.js';
import { configAsEnv, type HostConfig } from '../../config.js';
import {
  createProviderResolver,
  formatConfigIssue,
  type ProviderResolver,
  type ResolvedProvider,
  readGroupSettings,
  resolveGroupProvider,
} from '../../groups/index.js';

/** A group as `nanoclaw doctor` sees it without a running host. */
export interface DoctorGroup {
  folder: string;
  /**
   * False for a folder no group uses: the host does not serve it until `nanoclaw groups add <folder>` adopts it
   * (`main` is registered at the first start).
   */
  served: boolean;
  /** The provider its main session runs on, resolved as the host resolves it. */
  provider: ResolvedProvider;
  /** Its `container.json` (null: none, or an invalid one). */
  config: ContainerConfig | null;
  /** Why the host does not serve it until fixed (an invalid `container.json`). */
  configError: string | null;
}

export interface DoctorGroups {
  groups: DoctorGroup[];
  /** What a group that names no provider runs on (a new one, or `main` at the first start). */
  groupDefault: ResolvedProvider;
}

/**
 * The groups the host serves: those registered in the database (read, never migrated or written; absent before
 * the first start) and the folders in the groups dir, each with its provider from the same resolution the start
 * log and `nanoclaw status` use (session pin, `groups add --provider`, container.json, AGENT_PROVIDER,
 * credentials).
 */
export async function readDoctorGroups(config: HostConfig, homeDir: string): Promise<DoctorGroups> {
  const resolver = createProviderResolver({
    env: configAsEnv(config),
    agentProvider: config.AGENT_PROVIDER,
    homeDir,
  });
  const database = await openExisting(path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db'));
  try {
    const registered = database ? await registeredGroups(database) : [];
    const known = new Set(registered.map((row) => row.folder));
    // The first start registers `main` when no group is the main one yet.
    const mainComes = !registered.some((row) => row.isMain);
    const folders = groupFolders(config.NANOCLAW_GROUPS_DIR).filter((folder) => !known.has(folder));
    // It creates the main folder too, when it is missing.
    if (mainComes && !known.has(MAIN_FOLDER) && !folders.includes(MAIN_FOLDER)) folders.push(MAIN_FOLDER);
    const rows: GroupRow[] = [
      ...registered.map((row) => ({ ...row, served: true })),
      ...folders.map((folder) => ({
        folder,
        agentProvider: null,
        served: mainComes && folder === MAIN_FOLDER,
      })),
    ].sort((a, b) => a.folder.localeCompare(b.folder));
    const groups = await Promise.all(
      rows.map((row) => doctorGroup(row, config.NANOCLAW_GROUPS_DIR, database, resolver)),
    );
    return { groups, groupDefault: resolver.groupDefault };
  } finally {
    await database?.close();
  }
}

interface GroupRow {
  id?: string;
  folder: string;
  agentProvider: string | null;
  served: boolean;
}

const MAIN_FOLDER = 'main';

async function doctorGroup(
  row: GroupRow,
  groupsDir: string,
  database: NanoclawDatabase | undefined,
  resolver: ProviderResolver,
): Promise<DoctorGroup> {
  const dir = path.join(groupsDir, row.folder);
  // A missing folder is created at the next start; its settings file may be there already.
  const read = fs.existsSync(dir)
    ? await readGroupSettings(groupsDir, row.folder)
    : { config: null, error: null };
  const group = { ...row, containerConfig: read.config };
  return {
    folder: row.folder,
    served: row.served,
    provider: await resolveGroupProvider(database?.db, group, resolver),
    config: read.config,
    configError: read.error
      ? formatConfigIssue(read.error)
      : skillsProblem(groupsDir, row.folder, read.config),
  };
}

/** A `skills` setting naming a skill that exists nowhere: every sandbox start of the group would fail on it. */
function skillsProblem(groupsDir: string, folder: string, config: ContainerConfig | null): string | null {
  if (!config) return null;
  try {
    selectSkills({ groupsDir, folder }, config.skills);
    return null;
  } catch (error) {
    if (error instanceof AgentPoolError) return error.message;
    throw error;
  }
}

/** The database as it is, or undefined when there is none yet or it cannot be read (`checkDatabase` says why). */
async function openExisting(file: string): Promise<NanoclawDatabase | undefined> {
  if (!fs.existsSync(file)) return undefined;
  try {
    return await openDatabase({ path: file, migrate: false });
  } catch {
    return undefined;
  }
}

async function registeredGroups(
  database: NanoclawDatabase,
): Promise<Array<Omit<GroupRow, 'served'> & { isMain: boolean }>> {
  try {
    const rows = await database.db
      .selectFrom('agent_groups')
      .select(['id', 'folder', 'agent_provider', 'is_main'])
      .execute();
    return rows.map((row) => ({
      id: row.id,
      folder: row.folder,
      agentProvider: row.agent_provider,
      isMain: row.is_main === 1,
    }));
  } catch {
    return []; // not migrated yet: the first start creates the table
  }
}

function groupFolders(groupsDir: string): string[] {
  try {
    return fs
      .readdirSync(groupsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'global' && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
