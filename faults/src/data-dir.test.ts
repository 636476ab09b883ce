/**
 * The data dir is read-only or its disk is full when the host starts. What the user must see: the host refuses
 * to start, exits non-zero, and says why (naming the folder and the fix); the database is left exactly as it was
 * (same bytes, integrity check ok), and once the fault is gone the host starts on it with nothing lost.
 * The faults are made with bubblewrap mount namespaces (a read-only bind, a 1 MiB tmpfs filled to the brim), so
 * they work as root too, where chmod would not stop a write.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import { freePort } from '@nanoclaw/testing/loopback';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, sandboxRuntime, until } from './api.js';
import { HOST_CLI, scratchRoot, startHost } from './host-process.js';
import { writeSummary } from './results.js';

const sandbox = await sandboxRuntime();
const summary: Record<string, unknown> = {};

describe.skipIf('skip' in sandbox)('read-only or full data dir at start', () => {
  let root = '';
  let dataDir = '';
  let goodHash = '';
  beforeAll(async () => {
    // A data dir with history: one answered message.
    root = scratchRoot('data-dir');
    const host = await startHost({ root, port: await freePort(), runtime: 'process' });
    const api = createApi(host.url, host.token);
    const replies: string[] = [];
    const stream = await api.events((e) => {
      if (e.type === 'reply' && e.text) replies.push(e.text);
    });
    await api.postMessage('main', 'remember this');
    await until(() => replies.length > 0, 30_000, 'the first reply');
    stream.close();
    await host.stop();
    dataDir = path.join(root, 'data');
    goodHash = sha256(path.join(dataDir, 'nanoclaw.db'));
  });
  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('read-only data dir with a database: a clear error, exit 1, the database untouched', async () => {
    const run = await hostInBwrap(root, ['--ro-bind', dataDir, dataDir]);
    summary.readOnly = { code: run.code, error: firstError(run.output) };
    expect(run.ready).toBe(false);
    expect(run.code).toBe(1);
    expect(firstError(run.output)).toMatch(
      /cannot write the data directory .*read-only file system.*NANOCLAW_DATA_DIR/is,
    );
    expect(sha256(path.join(dataDir, 'nanoclaw.db'))).toBe(goodHash);
  });

  it('read-only empty data dir (first start): a clear error, exit 1', async () => {
    const empty = path.join(root, 'empty-data');
    fs.mkdirSync(empty);
    const run = await hostInBwrap(root, ['--ro-bind', empty, empty], { NANOCLAW_DATA_DIR: empty });
    summary.readOnlyEmpty = { code: run.code, error: firstError(run.output) };
    expect(run.code).toBe(1);
    expect(firstError(run.output)).toMatch(/cannot write the data directory .*read-only file system/is);
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('disk full with a database: a clear error naming the full disk, exit 1, the database untouched', async () => {
    const mount = path.join(root, 'small-disk');
    const out = path.join(root, 'after-full');
    fs.mkdirSync(mount);
    fs.mkdirSync(out);
    const inner = path.join(mount, 'data');
    // Inside the sandbox: copy the data in, fill the disk, run the host, then copy the database out to check it.
    const script = [
      `cp -a ${q(dataDir)} ${q(inner)}`,
      `dd if=/dev/zero of=${q(mount)}/filler bs=4k >/dev/null 2>&1`,
      `${q(process.execPath)} ${q(HOST_CLI)} start; echo "host-exit=$?"`,
      `cp ${q(inner)}/nanoclaw.db ${q(out)}/`,
    ].join('; ');
    const run = await inBwrap(
      root,
      ['--size', String(1024 * 1024), '--tmpfs', mount, '--bind', out, out, '--', '/bin/sh', '-c', script],
      { NANOCLAW_DATA_DIR: inner },
    );
    const exit = Number(/host-exit=(\d+)/.exec(run.output)?.[1]);
    summary.diskFull = { code: exit, error: firstError(run.output) };
    expect(run.output).not.toContain('NanoClaw host ready');
    expect(exit).toBe(1);
    expect(firstError(run.output)).toMatch(/the disk holding .* is full/);
    expect(sha256(path.join(out, 'nanoclaw.db'))).toBe(goodHash);
  });

  it('disk full at the first start: a clear error, exit 1', async () => {
    const mount = path.join(root, 'small-disk-2');
    fs.mkdirSync(mount);
    const inner = path.join(mount, 'data');
    const script = [
      `dd if=/dev/zero of=${q(mount)}/filler bs=4k >/dev/null 2>&1`,
      `${q(process.execPath)} ${q(HOST_CLI)} start; echo "host-exit=$?"`,
    ].join('; ');
    const run = await inBwrap(
      root,
      ['--size', String(1024 * 1024), '--tmpfs', mount, '--', '/bin/sh', '-c', script],
      { NANOCLAW_DATA_DIR: inner },
    );
    const exit = Number(/host-exit=(\d+)/.exec(run.output)?.[1]);
    summary.diskFullFirstStart = { code: exit, error: firstError(run.output) };
    expect(exit).toBe(1);
    expect(firstError(run.output)).toMatch(/full|no space/i);
  });

  it('with the fault gone, the host starts on the same data and nothing is lost', async () => {
    const handle = await openDatabase({ path: path.join(dataDir, 'nanoclaw.db'), migrate: false });
    const integrity = handle.sqlite.pragma('integrity_check', { simple: true });
    await handle.close();
    expect(integrity).toBe('ok');
    const host = await startHost({ root, port: await freePort(), runtime: 'process' });
    try {
      const api = createApi(host.url, host.token);
      const status = await api.request('GET', '/api/v1/status');
      expect(status.status).toBe(200);
    } finally {
      await host.stop();
    }
    const after = await openDatabase({ path: path.join(dataDir, 'nanoclaw.db'), migrate: false });
    const rows = await after.db.selectFrom('outbound_messages').select(['text', 'status']).execute();
    await after.close();
    expect(rows).toEqual([{ text: 'Mock reply to: remember this', status: 'sent' }]);
    writeSummary('data-dir', summary);
    console.log(`[data dir] ${JSON.stringify(summary)}`);
  });
});

/** `nanoclaw start` in a mount namespace made by bwrap `binds`; waits for its exit. */
function hostInBwrap(root: string, binds: string[], env: Record<string, string> = {}) {
  return inBwrap(root, [...binds, '--', process.execPath, HOST_CLI, 'start'], env).then((run) => ({
    ...run,
    ready: run.output.includes('NanoClaw host ready'),
  }));
}

function inBwrap(
  root: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', ['--dev-bind', '/', '/', '--die-with-parent', ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: root,
        NANOCLAW_HTTP_PORT: '0',
        NANOCLAW_RUNTIME: 'process',
        AGENT_PROVIDER: 'mock',
        LOG_FORMAT: 'json',
        TZ: 'UTC',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The message of the first error or fatal log line. */
function firstError(output: string): string {
  for (const line of output.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) >= 50) return entry.err?.message ?? entry.msg ?? line;
    } catch {
      // not a log line
    }
  }
  return output.slice(-2_000);
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function q(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
