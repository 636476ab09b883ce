import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import { silentLogger } from '@nanoclaw/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { HostEvent } from '../host-api.js';
import { createHostEventBus } from '../local-channel/index.js';
import type { RunningHost } from '../start-host.js';
import { startTestHost, until } from './test-utils/e2e-host.js';
import { createWorker, type WorkerDeps } from './worker.js';

describe('task runs on the event stream', () => {
  let root: string;
  let host: RunningHost;
  let client: HostClient;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-worker-'));
    ({ host, client } = await startTestHost(root, createProcessRuntime({ unsafeAllowNoIsolation: true })));
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Adds a task due in half a second; its id and the group's events until its run ended. */
  async function runTask(prompt: string): Promise<{ taskId: string; events: HostEvent[] }> {
    const events: HostEvent[] = [];
    const stream = await client.openEvents('main', (event) => events.push(event));
    try {
      const task = await client.addTask({
        folder: 'main',
        prompt,
        schedule: { kind: 'once', at: new Date(Date.now() + 500).toISOString() },
      });
      await until(() => events.some((e) => e.type === 'run-end'), 30_000);
      return { taskId: task.id, events };
    } finally {
      stream.close();
    }
  }

  it('a scheduled run emits run-start and run-end (with its task id) like a chat turn', async () => {
    const { taskId, events } = await runTask('nightly summary');
    const runs = events.filter((e) => e.type === 'run-start' || e.type === 'run-end');
    expect(runs).toEqual([
      { type: 'run-start', folder: 'main', runId: expect.any(String), inReplyTo: [], taskId },
      { type: 'run-end', folder: 'main', runId: runs[0]?.runId, status: 'succeeded', taskId },
    ]);
    // Its result reaches the chat between the two.
    const reply = events.findIndex((e) => e.type === 'reply' && e.text.includes('nightly summary'));
    expect(reply).toBeGreaterThan(events.indexOf(runs[0] as HostEvent));
    expect(reply).toBeLessThan(events.indexOf(runs[1] as HostEvent));
  });

  it('a failed task run ends with run-end failed', async () => {
    const { taskId, events } = await runTask('/fail the model is down');
    expect(events.find((e) => e.type === 'run-end')).toMatchObject({ status: 'failed', taskId });
  });
});

describe('a retried turn whose messages were answered meanwhile', () => {
  it('ends the run on the event stream, so a client that saw its try fail does not wait for ever', async () => {
    const bus = createHostEventBus();
    const events: HostEvent[] = [];
    bus.subscribe('*', (event) => events.push(event));
    const deps = {
      registry: { getById: async () => ({ id: 'grp', folder: 'main' }) },
      inbox: { markProcessing: async () => [] },
      bus,
      logger: silentLogger,
    } as unknown as WorkerDeps;
    const turn = {
      groupId: 'grp',
      chat: { channel: 'local', accountId: 'default', chatId: 'main' },
      messageIds: [1],
      sessionKey: 'main',
    };
    const item = { id: 'item-7', payload: { kind: 'turn', turn } };
    await createWorker(deps)({ item, signal: new AbortController().signal, tries: 2 } as never);
    expect(events).toEqual([{ type: 'run-end', folder: 'main', runId: 'item-7', status: 'succeeded' }]);
  });
});
