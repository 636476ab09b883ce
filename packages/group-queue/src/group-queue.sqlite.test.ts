import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteQueueStore, type NanoclawDatabase, openDatabase } from '@nanoclaw/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupQueue } from './group-queue.js';
import { createControlledWorker } from './test.js';

type Payload = { id: string };

let dir: string;
let file: string;
const handles: NanoclawDatabase[] = [];

async function open(): Promise<NanoclawDatabase> {
  const handle = await openDatabase({ path: file });
  handles.push(handle);
  return handle;
}

/** A queue whose worker counts runs per item and checks that a group never runs two items at once. */
function countingQueue(handle: NanoclawDatabase) {
  const runs: [string, number][] = [];
  let running = 0;
  let maxRunning = 0;
  const queue = createGroupQueue<Payload>({
    store: createSqliteQueueStore<Payload>(handle),
    worker: async ({ item, tries }) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      runs.push([item.id, tries]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    },
  });
  return { queue, runs, maxRunning: () => maxRunning };
}

async function rows(handle: NanoclawDatabase) {
  return handle.db.selectFrom('queue_items').select(['id', 'status', 'tries']).orderBy('seq').execute();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-group-queue-'));
  file = path.join(dir, 'nanoclaw.db');
});

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('crash recovery on a real SQLite file', () => {
  it('runs the item that was mid-try exactly once more, counting the crashed try', async () => {
    const before = await open();
    const control = createControlledWorker<Payload>();
    const first = createGroupQueue<Payload>({
      store: createSqliteQueueStore<Payload>(before),
      worker: control.worker,
    });
    await first.enqueue('A', { id: 'a1' }, { id: 'a1' });
    await first.enqueue('A', { id: 'a2' }, { id: 'a2' });
    await control.waitForStart(1);
    expect(await rows(before)).toEqual([
      { id: 'a1', status: 'running', tries: 1 },
      { id: 'a2', status: 'queued', tries: 0 },
    ]);

    // The crash: the first queue never finishes, its connection is never closed; a new process opens the file.
    const after = await open();
    const second = countingQueue(after);
    await expect(second.queue.ready()).resolves.toEqual({ requeued: 2, deadLettered: 0 });
    await second.queue.idle();

    expect(second.runs).toEqual([
      ['a1', 2],
      ['a2', 1],
    ]);
    expect(second.maxRunning()).toBe(1);
    expect(await rows(after)).toEqual([
      { id: 'a1', status: 'done', tries: 2 },
      { id: 'a2', status: 'done', tries: 1 },
    ]);
  });

  it('survives a SIGKILL of the process mid-try', async () => {
    const child = await startChild(['enqueue', 'k1', 'k2']);
    expect(await child.started).toBe('started k1 1');
    await child.ready;
    child.process.kill('SIGKILL');
    await child.exited;

    const after = await open();
    expect(await rows(after)).toEqual([
      { id: 'k1', status: 'running', tries: 1 },
      { id: 'k2', status: 'queued', tries: 0 },
    ]);
    const next = countingQueue(after);
    await expect(next.queue.ready()).resolves.toEqual({ requeued: 2, deadLettered: 0 });
    await next.queue.idle();
    expect(next.runs).toEqual([
      ['k1', 2],
      ['k2', 1],
    ]);
    expect(await rows(after)).toEqual([
      { id: 'k1', status: 'done', tries: 2 },
      { id: 'k2', status: 'done', tries: 1 },
    ]);
  }, 30_000);

  it('dead-letters an item that keeps killing the process, once its tries are used up', async () => {
    for (let kill = 1; kill <= 2; kill += 1) {
      const child = await startChild(kill === 1 ? ['enqueue', 'poison'] : []);
      expect(await child.started).toBe(`started poison ${kill}`);
      await child.ready;
      child.process.kill('SIGKILL');
      await child.exited;
    }
    const after = await open();
    const queue = createGroupQueue<Payload>({
      store: createSqliteQueueStore<Payload>(after),
      retry: { maxTries: 2 },
      worker: () => {
        throw new Error('must not run again');
      },
    });
    const dead: string[] = [];
    queue.on('dead-letter', (event) => dead.push(`${event.item.id}: ${event.error}`));
    await expect(queue.ready()).resolves.toEqual({ requeued: 0, deadLettered: 1 });
    expect(dead).toEqual(['poison: interrupted: the process stopped during try 2']);
    expect(await rows(after)).toEqual([{ id: 'poison', status: 'dead', tries: 2 }]);
  }, 30_000);
});

const childScript = fileURLToPath(new URL('./__fixtures__/crash-child.ts', import.meta.url));

async function startChild(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, file, ...args], {
    cwd: path.dirname(childScript),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  const lineStarting = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stdout.split('\n').find((l) => l.startsWith(prefix));
        if (line) resolve(line);
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${prefix}": ${stderr}`)));
    });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const started = lineStarting('started');
  const ready = lineStarting('ready');
  return { process: child, started, ready, exited };
}
