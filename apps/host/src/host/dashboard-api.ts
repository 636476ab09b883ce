import type { UsageStore } from '@nanoclaw/db';
import type { AgentPool, SandboxSummary } from '../agent-pool/types.js';
import {
  formatConfigIssue,
  type GroupRegistry,
  type HostDb,
  type RegisteredGroup,
  readGroupSettingsJson,
  writeGroupSettings,
} from '../groups/index.js';
import {
  type GroupConfigView,
  type GroupStatus,
  HostApiError,
  type MessageView,
  type SandboxView,
  type UsageQuery,
  type UsageView,
} from '../host-api.js';
import type { LiveEvents } from './live-events.js';
import { listGroupMessages } from './message-history.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DashboardApiDeps {
  db: HostDb;
  registry: GroupRegistry;
  groupsDir: string;
  usage: Pick<UsageStore, 'daily'>;
  /** The sandbox pool, once the host has one. */
  pool: () => Pick<AgentPool, 'list' | 'kill'> | undefined;
  live: Pick<LiveEvents, 'lastError'>;
  assistantName: string;
  now?: () => number;
}

/** What the dashboard reads beyond groups and tasks: usage, settings files, sandboxes, message history. */
export class DashboardApi {
  readonly #deps: DashboardApiDeps;
  readonly #now: () => number;

  constructor(deps: DashboardApiDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** A group's live state for `status`: its busiest sandbox and its last error. */
  groupState(folder: string): Pick<GroupStatus, 'sandbox' | 'lastError'> {
    const states = this.#sandboxes()
      .filter((sandbox) => sandbox.folder === folder)
      .map((sandbox) => sandbox.state);
    const sandbox = (['busy', 'starting', 'idle'] as const).find((state) => states.includes(state)) ?? 'none';
    return { sandbox, lastError: this.#deps.live.lastError(folder) };
  }

  async listUsage(query: UsageQuery, groupId: string | undefined): Promise<UsageView[]> {
    const days = query.days ?? 30;
    const today = Math.floor(this.#now() / DAY_MS) * DAY_MS;
    const rows = await this.#deps.usage.daily({
      since: today - (days - 1) * DAY_MS,
      ...(groupId ? { groupId } : {}),
    });
    return rows.map((row) => ({
      day: row.day,
      folder: row.folder ?? row.groupId,
      provider: row.provider,
      inputTokens: row.inputTokens,
      cachedInputTokens: row.cachedInputTokens,
      outputTokens: row.outputTokens,
    }));
  }

  async getGroupConfig(group: RegisteredGroup): Promise<GroupConfigView> {
    const config = await readGroupSettingsJson(this.#deps.groupsDir, group.folder);
    const fresh = await this.#deps.registry.refresh(group.folder);
    return {
      folder: group.folder,
      config,
      error: fresh.configError ? formatConfigIssue(fresh.configError) : null,
    };
  }

  async setGroupConfig(group: RegisteredGroup, config: unknown): Promise<GroupConfigView> {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new HostApiError('invalid', 'the settings must be a JSON object');
    }
    const result = await writeGroupSettings(this.#deps.groupsDir, group.folder, config);
    if (result.error) {
      const { key } = result.error;
      throw new HostApiError('invalid', formatConfigIssue(result.error), key === '' ? {} : { field: key });
    }
    return this.getGroupConfig(group);
  }

  async listSandboxes(): Promise<SandboxView[]> {
    return this.#sandboxes().map((sandbox) => ({ ...sandbox }));
  }

  async killSandbox(id: string): Promise<{ id: string; killed: true }> {
    const pool = this.#deps.pool();
    if (!pool || !(await pool.kill(id))) throw new HostApiError('not-found', `no sandbox "${id}"`);
    return { id, killed: true };
  }

  listMessages(group: RegisteredGroup, limit: number): Promise<MessageView[]> {
    return listGroupMessages(this.#deps.db, group.id, { limit, assistantName: this.#deps.assistantName });
  }

  #sandboxes(): SandboxSummary[] {
    return this.#deps.pool()?.list() ?? [];
  }
}
