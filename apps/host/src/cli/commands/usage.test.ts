import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { startHostHarness } from '../host-harness.js';
import { failure } from '../test-utils.js';

const harness = perTest(startHostHarness);

/** Stores a usage row for the group as a run would have. */
async function recordUsage(folder: string, recordedAt: number, provider = 'mock'): Promise<void> {
  const { db } = harness.host.database;
  const group = await db
    .selectFrom('agent_groups')
    .select('id')
    .where('folder', '=', folder)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('usage')
    .values({
      group_id: group.id,
      session_id: null,
      provider,
      input_tokens: 1200,
      cached_input_tokens: 200,
      output_tokens: 34,
      recorded_at: recordedAt,
    })
    .execute();
}

describe('nanoclaw usage, against the real host', () => {
  it('prints tokens per day, group and provider with a total', async () => {
    await harness.run(['groups', 'add', 'family']);
    const now = Date.now();
    await recordUsage('main', now);
    await recordUsage('main', now);
    await recordUsage('family', now, 'codex');
    await recordUsage('main', now - 40 * 24 * 3_600_000);
    const today = new Date(now).toISOString().slice(0, 10);
    const run = await harness.run(['usage']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'DAY         GROUP   PROVIDER  INPUT  CACHED  OUTPUT',
      `${today}  family  codex     1,200  200     34`,
      `${today}  main    mock      2,400  400     68`,
      'total                         3,600  600     102',
      '',
    ]);
    const main = JSON.parse(
      (await harness.run(['usage', '--group', 'main', '--days', '60', '--json'])).stdout,
    );
    expect(main).toHaveLength(2);
    expect(main[1]).toEqual({
      day: today,
      folder: 'main',
      provider: 'mock',
      inputTokens: 2400,
      cachedInputTokens: 400,
      outputTokens: 68,
    });
  });

  it('says when nothing was recorded, and refuses a bad --days', async () => {
    expect((await harness.run(['usage'])).stdout).toBe('no token usage recorded in these days\n');
    expect(await harness.run(['usage', '--days', '0'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'nanoclaw: --days must be a whole number from 1 to 366 (got "0")\n',
    });
    expect(await harness.run(['usage', '--group', 'nobody'])).toEqual(
      failure('nanoclaw: no group "nobody" (HTTP 404)\n'),
    );
  });
});
