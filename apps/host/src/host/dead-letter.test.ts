import { describe, expect, it } from 'vitest';
import type { FailureReporter } from '../delivery/index.js';
import type { GroupRegistry } from '../groups/index.js';
import { createRecordingLogger, type LogLine } from '../groups/test-support.js';
import { createHostEventBus } from '../local-channel/index.js';
import type { Inbox } from '../routing/index.js';
import { createDeadLetterHandler, type DeadLetterDeps } from './dead-letter.js';

/** `onDeadLetter` is called with `void` from the queue's event: it must never reject. */
describe('the dead-letter report', () => {
  const turn = {
    groupId: 'grp',
    chat: { channel: 'telegram', accountId: 'default', chatId: '42' },
    messageIds: [1],
    sessionKey: 'main',
  };

  function deps(overrides: Partial<DeadLetterDeps>, lines: LogLine[]): DeadLetterDeps {
    return {
      scheduler: { completeRun: async () => undefined } as unknown as DeadLetterDeps['scheduler'],
      registry: { getById: async () => undefined } as unknown as GroupRegistry,
      inbox: { markFailed: async () => undefined, getMany: async () => [] } as unknown as Inbox,
      bus: createHostEventBus(),
      reporter: { report: async () => ({ kind: 'reported' }) } as unknown as FailureReporter,
      logger: createRecordingLogger(lines),
      ...overrides,
    };
  }

  it('tells the chat a turn failed for good', async () => {
    const reports: unknown[] = [];
    const lines: LogLine[] = [];
    const reporter = {
      report: async (report: unknown) => reports.push(report),
    } as unknown as FailureReporter;
    await createDeadLetterHandler(deps({ reporter }, lines))({ kind: 'turn', turn }, 'item-1', 'boom');
    expect(reports).toEqual([
      expect.objectContaining({ kind: 'run-dead-lettered', key: 'item-1', error: 'boom' }),
    ]);
  });

  it('ends a task run that failed for good on the event stream, so no client shows it running', async () => {
    const bus = createHostEventBus();
    const events: unknown[] = [];
    bus.subscribe('*', (event) => events.push(event));
    const registry = {
      getById: async () => ({ id: 'grp', folder: 'main' }),
      listBindings: async () => [],
    } as unknown as GroupRegistry;
    const run = {
      runId: 'run-1',
      taskId: 'task-1',
      groupId: 'grp',
      prompt: 'p',
      contextMode: 'group',
      scheduledFor: 0,
      late: false,
    } as const;
    await createDeadLetterHandler(deps({ bus, registry }, []))({ kind: 'task', run }, 'item-3', 'boom');
    expect(events).toEqual([
      { type: 'run-end', folder: 'main', runId: 'item-3', status: 'failed', taskId: 'task-1' },
    ]);
  });

  it('a report that cannot be written (the database is closed) resolves and is logged', async () => {
    const lines: LogLine[] = [];
    const inbox = {
      markFailed: async () => {
        throw new Error('database closed');
      },
    } as unknown as Inbox;
    await expect(
      createDeadLetterHandler(deps({ inbox }, lines))({ kind: 'turn', turn }, 'item-2', 'boom'),
    ).resolves.toBeUndefined();
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['error', 'work failed for good'],
      ['error', 'could not report work that failed for good'],
    ]);
  });
});
