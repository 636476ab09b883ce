import type { Logger } from '@nanoclaw/core';
import type { Scheduler } from '@nanoclaw/scheduler';
import type { FailureReporter } from '../delivery/index.js';
import type { GroupRegistry } from '../groups/index.js';
import type { HostEventBus } from '../local-channel/index.js';
import type { Inbox } from '../routing/index.js';
import type { WorkPayload } from './work.js';
import { defaultChat } from './worker.js';

export interface DeadLetterDeps {
  scheduler: Pick<Scheduler, 'completeRun'>;
  registry: GroupRegistry;
  inbox: Inbox;
  bus: HostEventBus;
  reporter: FailureReporter;
  logger: Logger;
}

/**
 * Work that failed for good: a task run is marked failed and reported in the group's chat; a chat turn's
 * messages are marked failed and the chat is told. Never rejects: a report that cannot be written is logged.
 */
export function createDeadLetterHandler(
  deps: DeadLetterDeps,
): (payload: WorkPayload, itemId: string, error: string) => Promise<void> {
  return async (payload, itemId, error) => {
    deps.logger.error({ item: itemId, error }, 'work failed for good');
    try {
      if (payload.kind === 'task') await reportTask(deps, payload.run, itemId, error);
      else await reportTurn(deps, payload.turn, itemId, error);
    } catch (reportError) {
      // The item is dead already; only its report (to the chat, the task's run) is missing: say so in the log.
      deps.logger.error({ err: reportError, item: itemId }, 'could not report work that failed for good');
    }
  };
}

async function reportTask(
  deps: DeadLetterDeps,
  run: Extract<WorkPayload, { kind: 'task' }>['run'],
  itemId: string,
  error: string,
): Promise<void> {
  await deps.scheduler.completeRun(run.runId, { status: 'failed', error });
  const group = await deps.registry.getById(run.groupId);
  if (!group) return;
  // The run's last try ended in `run-retry` or mid-stream: clients learn it is over (a turn's `error` does that).
  deps.bus.publish({
    type: 'run-end',
    folder: group.folder,
    runId: itemId,
    status: 'failed',
    taskId: run.taskId,
  });
  await deps.reporter.report({
    chat: await defaultChat(deps.registry, group),
    groupId: group.id,
    kind: 'task-failed',
    key: `task-run:${run.runId}`,
    text: `Scheduled task ${run.taskId} failed after several tries. \`nanoclaw runs list --task ${run.taskId}\` shows why.`,
    error,
  });
}

async function reportTurn(
  deps: DeadLetterDeps,
  turn: Extract<WorkPayload, { kind: 'turn' }>['turn'],
  itemId: string,
  error: string,
): Promise<void> {
  await deps.inbox.markFailed(turn.messageIds, error);
  const group = await deps.registry.getById(turn.groupId);
  const inReplyTo = (await deps.inbox.getMany(turn.messageIds)).map((m) => m.message.platformMessageId);
  if (group) deps.bus.publish({ type: 'error', folder: group.folder, message: error, inReplyTo });
  await deps.reporter.report({
    chat: turn.chat,
    groupId: turn.groupId,
    kind: 'run-dead-lettered',
    key: itemId,
    text: 'Sorry, I could not answer your last message: the agent failed several times. Please try again later.',
    error,
  });
}
