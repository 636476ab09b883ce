import type { ScheduledTask } from '@nanoclaw/core';
import { silentLogger } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import type { RegisteredGroup } from '../groups/index.js';
import type { HostEvent } from '../host-api.js';
import { createHostEventBus } from '../local-channel/index.js';
import { createLiveEvents } from './live-events.js';

function setup() {
  const bus = createHostEventBus();
  const events: HostEvent[] = [];
  bus.subscribe('*', (event) => events.push(event));
  const registry = {
    getById: async (id: string) =>
      id === 'g-main' ? ({ id, folder: 'main' } as RegisteredGroup) : undefined,
  };
  const live = createLiveEvents({ bus, registry, logger: silentLogger, now: () => 42 });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { bus, events, live, settle };
}

const task = { id: 't1', groupId: 'g-main' } as ScheduledTask;

describe('createLiveEvents', () => {
  it('publishes queue depths, task changes and approvals under the group’s folder', async () => {
    const { events, live, settle } = setup();
    live.queueChanged('g-main', { queued: 2, running: 1 });
    live.schedulerEvent({ type: 'task-create', task });
    live.schedulerEvent({ type: 'task-update', task });
    live.schedulerEvent({ type: 'run-start', run: { task } as never });
    live.approvalChanged({ id: 'a1', groupId: 'g-main', status: 'pending' });
    live.approvalChanged({ id: 'a2', groupId: null, status: 'expired' });
    live.queueChanged('g-gone', { queued: 0, running: 0 });
    live.sandboxChanged({ id: 'sb-1', folder: 'main', state: 'busy' });
    await settle();
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'queue', folder: 'main', queued: 2, running: 1 },
        { type: 'task', folder: 'main', taskId: 't1', change: 'added' },
        { type: 'task', folder: 'main', taskId: 't1', change: 'run' },
        { type: 'approval', folder: 'main', id: 'a1', status: 'pending' },
        { type: 'approval', folder: '*', id: 'a2', status: 'expired' },
        { type: 'sandbox', folder: 'main', id: 'sb-1', state: 'busy' },
      ]),
    );
    expect(events).toHaveLength(6);
  });

  it('publishes a failed try as run-retry with the error’s first line; the sandbox’s stderr stays in the log', async () => {
    const { events, live, settle } = setup();
    live.runRetried('g-main', {
      runId: 'q1',
      message:
        'the sandbox exited (code 137) during the run; last stderr:\n{"level":"info","msg":"session started"}',
      retryInMs: 5_000,
      taskId: 't1',
    });
    await settle();
    expect(events).toEqual([
      {
        type: 'run-retry',
        folder: 'main',
        runId: 'q1',
        message: 'the sandbox exited (code 137) during the run',
        retryInMs: 5_000,
        taskId: 't1',
      },
    ]);
  });

  it('remembers each group’s last error', () => {
    const { bus, live } = setup();
    expect(live.lastError('main')).toBeNull();
    bus.publish({ type: 'error', folder: 'main', message: 'the model is down', inReplyTo: [] });
    expect(live.lastError('main')).toEqual({ message: 'the model is down', at: 42 });
    live.close();
    bus.publish({ type: 'error', folder: 'main', message: 'later', inReplyTo: [] });
    expect(live.lastError('main')?.message).toBe('the model is down');
  });
});
