import type { Logger } from '@nanoclaw/core';
import type { SchedulerEvent } from '@nanoclaw/scheduler';
import type { SandboxChange } from '../agent-pool/types.js';
import type { GroupRegistry } from '../groups/index.js';
import type { HostEvent } from '../host-api.js';
import { ALL_GROUPS, type HostEventBus } from '../local-channel/index.js';

export interface LiveEventsOptions {
  bus: HostEventBus;
  registry: Pick<GroupRegistry, 'getById'>;
  logger: Logger;
  now?: () => number;
}

/** How many items of a group wait and run. */
export interface GroupDepth {
  queued: number;
  running: number;
}

type TaskChange = Extract<HostEvent, { type: 'task' }>['change'];

const TASK_CHANGES: Partial<Record<SchedulerEvent['type'], TaskChange>> = {
  'task-create': 'added',
  'task-pause': 'paused',
  'task-resume': 'resumed',
  'task-cancel': 'cancelled',
  'run-start': 'run',
};

/**
 * What the host's parts report, as events on the host's bus for the surfaces (the dashboard's overview is live
 * without polling): queue depths, task changes, approvals, sandboxes. Remembers each group's last error for
 * `status`.
 */
export function createLiveEvents(options: LiveEventsOptions): LiveEvents {
  return new LiveEvents(options);
}

export class LiveEvents {
  readonly #options: LiveEventsOptions;
  readonly #lastErrors = new Map<string, { message: string; at: number }>();
  readonly #unsubscribe: () => void;

  constructor(options: LiveEventsOptions) {
    this.#options = options;
    const now = options.now ?? Date.now;
    this.#unsubscribe = options.bus.subscribe(ALL_GROUPS, (event) => {
      if (event.type === 'error') this.#lastErrors.set(event.folder, { message: event.message, at: now() });
    });
  }

  /** The last error a run of the group reported since the host started; null when none. */
  lastError(folder: string): { message: string; at: number } | null {
    return this.#lastErrors.get(folder) ?? null;
  }

  /** A queue item of the group was added, started, ended, retried or cancelled: its depth now. */
  queueChanged(groupId: string, depth: GroupDepth): void {
    this.#publishFor(groupId, (folder) => ({ type: 'queue', folder, ...depth }));
  }

  /** A task was added, paused, resumed or cancelled, or one of its runs started. */
  schedulerEvent(event: SchedulerEvent): void {
    const change = TASK_CHANGES[event.type];
    if (!change) return;
    const task = event.type === 'run-start' ? event.run.task : 'task' in event ? event.task : undefined;
    if (!task) return;
    this.#publishFor(task.groupId, (folder) => ({ type: 'task', folder, taskId: task.id, change }));
  }

  /** An approval was opened or decided. */
  approvalChanged(approval: { id: string; groupId: string | null; status: string }): void {
    const event = (folder: string): HostEvent => ({
      type: 'approval',
      folder,
      id: approval.id,
      status: approval.status,
    });
    if (approval.groupId === null) this.#options.bus.publish(event(ALL_GROUPS));
    else this.#publishFor(approval.groupId, event);
  }

  /**
   * A try of queue item `runId` failed and the item runs again in `retryInMs` (the `run-retry` event). The
   * message is the error's first line: the sandbox's last stderr lines stay in the log.
   */
  runRetried(
    groupId: string,
    retry: { runId: string; message: string; retryInMs: number; taskId?: string },
  ): void {
    const message = (retry.message.split('\n')[0] ?? '').replace(/;\s*last stderr:\s*$/, '');
    this.#publishFor(groupId, (folder) => ({ type: 'run-retry', folder, ...retry, message }));
  }

  sandboxChanged(change: SandboxChange): void {
    this.#options.bus.publish({ type: 'sandbox', ...change });
  }

  close(): void {
    this.#unsubscribe();
  }

  /** Publishes once the group's folder is known; a group that is gone is not published for. */
  #publishFor(groupId: string, event: (folder: string) => HostEvent): void {
    this.#options.registry
      .getById(groupId)
      .then((group) => {
        if (group) this.#options.bus.publish(event(group.folder));
      })
      .catch((error: unknown) =>
        this.#options.logger.warn({ err: error, group: groupId }, 'could not publish a live event'),
      );
  }
}
