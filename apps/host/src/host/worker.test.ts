import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { HostEvent } from '../host-api.js';
import type { RunningHost } from '../start-host.js';
import { startTestHost, until } from './e2e-host.js';

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

  it('a scheduled run emits run-start and run-end (with its task id) like a chat turn', async () => {
    const events: HostEvent[] = [];
    const stream = await client.openEvents('main', (event) => events.push(event));
    try {
      const task = await client.addTask({
        folder: 'main',
        prompt: 'nightly summary',
        schedule: { kind: 'once', at: new Date(Date.now() + 500).toISOString() },
      });
      await until(() => events.some((e) => e.type === 'run-end'), 30_000);
      const runs = events.filter((e) => e.type === 'run-start' || e.type === 'run-end');
      expect(runs).toEqual([
        { type: 'run-start', folder: 'main', runId: expect.any(String), inReplyTo: [], taskId: task.id },
        { type: 'run-end', folder: 'main', runId: runs[0]?.runId, status: 'succeeded', taskId: task.id },
      ]);
      // Its result reaches the chat between the two.
      const reply = events.findIndex((e) => e.type === 'reply' && e.text.includes('nightly summary'));
      expect(reply).toBeGreaterThan(events.indexOf(runs[0] as HostEvent));
      expect(reply).toBeLessThan(events.indexOf(runs[1] as HostEvent));
    } finally {
      stream.close();
    }
  });

  it('a failed task run ends with run-end failed', async () => {
    const events: HostEvent[] = [];
    const stream = await client.openEvents('main', (event) => events.push(event));
    try {
      const task = await client.addTask({
        folder: 'main',
        prompt: '/fail the model is down',
        schedule: { kind: 'once', at: new Date(Date.now() + 500).toISOString() },
      });
      await until(() => events.some((e) => e.type === 'run-end'), 30_000);
      expect(events.find((e) => e.type === 'run-end')).toMatchObject({ status: 'failed', taskId: task.id });
    } finally {
      stream.close();
    }
  });
});
