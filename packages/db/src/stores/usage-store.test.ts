import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NanoclawDatabase, openDatabase } from '../open-database.js';
import { insertAgentGroup } from '../test.js';
import { createUsageStore, type UsageRecord } from './usage-store.js';

const DAY1 = Date.parse('2026-12-06T23:59:00Z');
const DAY2 = Date.parse('2026-12-07T00:01:00Z');

function usage(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    groupId: 'main',
    sessionId: 's1',
    provider: 'mock',
    inputTokens: 10,
    cachedInputTokens: 2,
    outputTokens: 5,
    recordedAt: DAY2,
    ...overrides,
  };
}

describe('createUsageStore', () => {
  let handle: NanoclawDatabase;

  beforeEach(async () => {
    handle = await openDatabase({ path: ':memory:' });
    await insertAgentGroup(handle, 'main');
    await insertAgentGroup(handle, 'family');
  });
  afterEach(async () => {
    await handle.close();
  });

  it('sums tokens per UTC day, group and provider, oldest day first', async () => {
    const store = createUsageStore(handle.db);
    await store.record(usage({ recordedAt: DAY1 }));
    await store.record(usage());
    await store.record(usage({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }));
    await store.record(usage({ provider: 'codex' }));
    await store.record(usage({ groupId: 'family' }));
    await store.record(usage({ groupId: 'gone' }));
    expect(await store.daily({ since: 0 })).toEqual([
      {
        day: '2026-12-06',
        groupId: 'main',
        folder: 'main',
        provider: 'mock',
        inputTokens: 10,
        cachedInputTokens: 2,
        outputTokens: 5,
      },
      {
        day: '2026-12-07',
        groupId: 'gone',
        folder: null,
        provider: 'mock',
        inputTokens: 10,
        cachedInputTokens: 2,
        outputTokens: 5,
      },
      {
        day: '2026-12-07',
        groupId: 'family',
        folder: 'family',
        provider: 'mock',
        inputTokens: 10,
        cachedInputTokens: 2,
        outputTokens: 5,
      },
      {
        day: '2026-12-07',
        groupId: 'main',
        folder: 'main',
        provider: 'codex',
        inputTokens: 10,
        cachedInputTokens: 2,
        outputTokens: 5,
      },
      {
        day: '2026-12-07',
        groupId: 'main',
        folder: 'main',
        provider: 'mock',
        inputTokens: 11,
        cachedInputTokens: 2,
        outputTokens: 6,
      },
    ]);
  });

  it('keeps to the days asked for and to one group', async () => {
    const store = createUsageStore(handle.db);
    await store.record(usage({ recordedAt: DAY1 }));
    await store.record(usage({ groupId: 'family' }));
    expect((await store.daily({ since: DAY2 - 60_000 })).map((row) => row.groupId)).toEqual(['family']);
    expect((await store.daily({ since: 0, groupId: 'main' })).map((row) => row.day)).toEqual(['2026-12-06']);
  });
});
