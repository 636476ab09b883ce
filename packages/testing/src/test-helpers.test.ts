import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AgentEvent } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import {
  collect,
  createHoldGate,
  createTempDirs,
  descendants,
  isAlive,
  type LogLine,
  memoryLogger,
  ofType,
  processEnv,
  turnEnds,
  types,
  waitFor,
} from './test-helpers.js';

const events: AgentEvent[] = [
  { type: 'turn-start', turnId: 't1', input: { text: 'hi' } },
  { type: 'text-delta', turnId: 't1', delta: 'he' },
  { type: 'turn-end', turnId: 't1', status: 'completed', text: 'hello' },
];

describe('memoryLogger', () => {
  it('records lines with the bindings of its child chain', () => {
    const lines: LogLine[] = [];
    const logger = memoryLogger(lines);
    logger.info('plain');
    logger.child({ a: 1 }).child({ b: 2 }).warn({ c: 3 }, 'bound');
    logger.error({ d: 4 });
    expect(lines).toEqual([
      { level: 'info', message: 'plain', bindings: {} },
      { level: 'warn', message: 'bound', bindings: { a: 1, b: 2, c: 3 } },
      { level: 'error', message: '', bindings: { d: 4 } },
    ]);
  });

  it('drops the skipped levels, in children too', () => {
    const lines: LogLine[] = [];
    const logger = memoryLogger(lines, {}, { skip: ['trace'] });
    logger.trace('no');
    logger.child({ x: 1 }).trace('no');
    logger.debug('yes');
    expect(lines.map((l) => l.message)).toEqual(['yes']);
  });
});

describe('createTempDirs', () => {
  it('makes dirs with the default or given prefix and removes them all', () => {
    const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-helpers-');
    const a = tempDir();
    const b = tempDir('nanoclaw-other-');
    expect(a).toMatch(/nanoclaw-helpers-/);
    expect(b).toMatch(/nanoclaw-other-/);
    expect(fs.existsSync(a) && fs.existsSync(b)).toBe(true);
    cleanupTempDirs();
    expect(fs.existsSync(a) || fs.existsSync(b)).toBe(false);
  });
});

describe('event helpers', () => {
  it('collect, types, ofType and turnEnds', async () => {
    async function* stream() {
      yield* events;
    }
    const all = await collect(stream());
    expect(types(all)).toEqual(['turn-start', 'text-delta', 'turn-end']);
    expect(ofType(all, 'text-delta').map((e) => e.delta)).toEqual(['he']);
    expect(turnEnds(all)).toEqual([{ status: 'completed', text: 'hello' }]);
  });
});

describe('waitFor', () => {
  it('resolves true once the check passes, false after the timeout', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 30);
    expect(await waitFor(() => ready, 2_000)).toBe(true);
    expect(await waitFor(() => false, 60)).toBe(false);
  });
});

describe('/proc helpers', () => {
  it('see a child process, its env and its descendants', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HELPERS_MARK: 'yes' },
      stdio: 'ignore',
    });
    const pid = child.pid as number;
    try {
      expect(isAlive(pid)).toBe(true);
      expect(processEnv(pid).HELPERS_MARK).toBe('yes');
      expect(await waitFor(() => descendants(pid).length > 0)).toBe(true);
      expect(descendants(process.pid)).toContain(pid);
    } finally {
      for (const p of descendants(pid)) process.kill(p, 'SIGKILL');
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isAlive(pid)).toBe(false);
  });
});

describe('createHoldGate', () => {
  it('is open until held, and open again once released', async () => {
    const gate = createHoldGate();
    expect(gate.pending()).toBeUndefined();
    const release = gate.hold();
    const held = gate.pending();
    expect(held).toBeInstanceOf(Promise);
    release();
    await held;
    expect(gate.pending()).toBeUndefined();
  });
});
