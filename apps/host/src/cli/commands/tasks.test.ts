import type { ScheduledTask } from '@nanoclaw/core';
import { createSqliteTaskStore } from '@nanoclaw/db';
import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { startHostHarness } from '../host-harness.js';
import { failure } from '../test-utils.js';

const harness = perTest(startHostHarness);

/** Stores a task of the main group as the scheduler would have (an id we choose, any status). */
async function storedTask(id: string, overrides: Partial<ScheduledTask> = {}): Promise<void> {
  const { db } = harness.host.database;
  const main = await db
    .selectFrom('agent_groups')
    .select('id')
    .where('folder', '=', 'main')
    .executeTakeFirstOrThrow();
  await createSqliteTaskStore(db).insert({
    id,
    groupId: main.id,
    prompt: `report ${id.slice(0, 8)}`,
    schedule: { kind: 'interval', everyMs: 3_600_000 },
    timezone: 'UTC',
    misfirePolicy: 'skip',
    contextMode: 'group',
    status: 'active',
    nextRun: Date.now() + 3_600_000,
    lastRun: null,
    createdByGroupId: null,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    ...overrides,
  });
}

/** `nanoclaw tasks add --group main --prompt p <schedule...>` */
function addTask(...schedule: string[]) {
  return harness.run(['tasks', 'add', '--group', 'main', '--prompt', 'p', ...schedule]);
}

async function statusOf(id: string): Promise<string | undefined> {
  const list = await harness.run(['tasks', 'list', '--json']);
  return (JSON.parse(list.stdout) as Array<{ id: string; status: string }>).find((task) => task.id === id)
    ?.status;
}

describe('nanoclaw tasks, against the real host', () => {
  it('pause, resume and cancel take a unique start of the id, as git does', async () => {
    const added = await addTask('--every', '1h', '--json');
    const { id } = JSON.parse(added.stdout) as { id: string };
    const short = id.slice(0, 8);
    expect((await harness.run(['tasks', 'pause', short])).stdout).toMatch(new RegExp(`^${id} +main +paused`));
    expect((await harness.run(['tasks', 'resume', short])).stdout).toMatch(
      new RegExp(`^${id} +main +active`),
    );
    expect((await harness.run(['tasks', 'cancel', short])).stdout).toMatch(
      new RegExp(`^${id} +main +cancelled`),
    );
  });

  it('an ambiguous start is refused, listing the candidates; a too short one is not taken', async () => {
    await storedTask('a7432b03-0000-4000-8000-000000000001');
    await storedTask('a743ffff-0000-4000-8000-000000000002');
    const ambiguous = await harness.run(['tasks', 'cancel', 'a743']);
    expect(ambiguous).toEqual(
      failure(
        'nanoclaw: id: "a743" is ambiguous, it starts 2 task ids: a7432b03-0000-4000-8000-000000000001 (active: "report a7432b03"), a743ffff-0000-4000-8000-000000000002 (active: "report a743ffff"); give more of the id (HTTP 400)\n',
      ),
    );
    const short = await harness.run(['tasks', 'pause', 'a74']);
    expect(short.stderr).toBe(
      'nanoclaw: no scheduled task with id "a74" (a short id needs at least 4 characters) (HTTP 404)\n',
    );
    expect(await statusOf('a7432b03-0000-4000-8000-000000000001')).toBe('active');
    expect((await harness.run(['tasks', 'cancel', 'a7432'])).code).toBe(0);
    expect(await statusOf('a7432b03-0000-4000-8000-000000000001')).toBe('cancelled');
  });

  it('cancelling a completed or cancelled task says so and changes nothing', async () => {
    const lastRun = Date.UTC(2030, 0, 1, 9);
    await storedTask('done-0001', {
      schedule: { kind: 'once', at: '2030-01-01T09:00Z' },
      status: 'completed',
      nextRun: null,
      lastRun,
    });
    const completed = await harness.run(['tasks', 'cancel', 'done-0001']);
    expect(completed).toEqual(
      failure(
        'nanoclaw: status: task "done-0001" already completed (its last run started 2030-01-01T09:00:00.000Z); there is nothing left to cancel (HTTP 400)\n',
      ),
    );
    expect(await statusOf('done-0001')).toBe('completed');
    await storedTask('gone-0001', { status: 'cancelled', nextRun: null });
    const again = await harness.run(['tasks', 'cancel', 'gone']);
    expect(again.stderr).toBe('nanoclaw: status: task "gone-0001" is already cancelled (HTTP 400)\n');
  });

  it('--at in the past is refused, showing the time it is now; nothing is stored', async () => {
    const past = await addTask('--at', '2020-01-01T09:00');
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(
      /^nanoclaw: schedule\.at: "2020-01-01T09:00" \(2020-01-01 09:00:00 UTC\) is in the past: it is now \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\) \(HTTP 400\)\n$/,
    );
    const paris = await addTask('--at', '2020-01-01T09:00', '--tz', 'Europe/Paris');
    expect(paris.stderr).toMatch(
      /\(2020-01-01 09:00:00 Europe\/Paris\) is in the past: it is now .* Europe\/Paris \(/,
    );
    expect((await harness.run(['tasks', 'list'])).stdout).toBe('no tasks\n');
    const future = await addTask('--at', '2999-01-01T09:00');
    expect(future.code).toBe(0);
  });
});

describe('nanoclaw tasks add --dry-run, against the real host', () => {
  it('shows the next three runs and adds nothing', async () => {
    const run = await addTask('--cron', '0 9 * * *', '--tz', 'Europe/Paris', '--dry-run');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('would add a task to main: cron 0 9 * * * (Europe/Paris)');
    expect(lines[1]).toMatch(/^next runs: (\d{4}-\d\d-\d\d 08:00, ){2}\d{4}-\d\d-\d\d 08:00 \(UTC\)$/);
    expect(lines[2]).toBe('nothing was added (--dry-run)');
    expect((await harness.run(['tasks', 'list'])).stdout).toBe('no tasks\n');
    const json = JSON.parse((await addTask('--every', '1h', '--dry-run', '--json')).stdout) as {
      id: string;
      nextRuns: number[];
    };
    expect(json.id).toBe('');
    expect(json.nextRuns[1]! - json.nextRuns[0]!).toBe(3_600_000);
  });

  it('refuses a bad cron expression, saying what is wrong', async () => {
    const run = await addTask('--cron', '61 * * * *', '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^nanoclaw: schedule\.expression: "61 \* \* \* \*" is not a valid cron expression: .* \(HTTP 400\)\n$/,
    );
  });

  it('lists each task with its next three runs (none once paused)', async () => {
    const added = JSON.parse((await addTask('--every', '1h', '--json')).stdout) as {
      id: string;
      nextRuns: number[];
    };
    expect(added.nextRuns).toHaveLength(3);
    await harness.run(['tasks', 'pause', added.id]);
    const [paused] = JSON.parse((await harness.run(['tasks', 'list', '--json'])).stdout) as Array<{
      nextRuns: number[];
    }>;
    expect(paused?.nextRuns).toEqual([]);
  });
});
