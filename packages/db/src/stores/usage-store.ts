import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/** The tokens of one model request (or of one turn's last requests), as a provider's `usage` event reports them. */
export interface UsageRecord {
  groupId: string;
  sessionId: string | null;
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** Epoch ms. */
  recordedAt: number;
}

/** The tokens of one UTC day, group and provider. */
export interface DailyUsage {
  /** `2026-12-07` (UTC). */
  day: string;
  groupId: string;
  /** The group's folder; null when the group is gone. */
  folder: string | null;
  provider: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface UsageStore {
  record(usage: UsageRecord): Promise<void>;
  /** Totals per UTC day, group and provider from `since` (epoch ms) on, oldest day first. */
  daily(query: { since: number; groupId?: string }): Promise<DailyUsage[]>;
}

/** Token usage on the `usage` table. */
export function createUsageStore(db: Kysely<Database>): UsageStore {
  return {
    async record(usage) {
      await db
        .insertInto('usage')
        .values({
          group_id: usage.groupId,
          session_id: usage.sessionId,
          provider: usage.provider,
          input_tokens: usage.inputTokens,
          cached_input_tokens: usage.cachedInputTokens,
          output_tokens: usage.outputTokens,
          recorded_at: usage.recordedAt,
        })
        .execute();
    },
    async daily(query) {
      const day = sql<string>`strftime('%Y-%m-%d', usage.recorded_at / 1000, 'unixepoch')`;
      let select = db
        .selectFrom('usage')
        .leftJoin('agent_groups', 'agent_groups.id', 'usage.group_id')
        .select([
          day.as('day'),
          'usage.group_id as groupId',
          'agent_groups.folder as folder',
          'usage.provider as provider',
          sql<number>`sum(usage.input_tokens)`.as('inputTokens'),
          sql<number>`sum(usage.cached_input_tokens)`.as('cachedInputTokens'),
          sql<number>`sum(usage.output_tokens)`.as('outputTokens'),
        ])
        .where('usage.recorded_at', '>=', query.since);
      if (query.groupId !== undefined) select = select.where('usage.group_id', '=', query.groupId);
      return select
        .groupBy([day, 'usage.group_id', 'usage.provider'])
        .orderBy('day')
        .orderBy('folder')
        .orderBy('provider')
        .execute();
    },
  };
}
