import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { echoServerEntry, providerTestWorld } from './provider-test-world.js';
import { createTempDirs } from './test-helpers.js';

const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-world-test-');
afterAll(cleanupTempDirs);

describe('providerTestWorld', () => {
  it('makes work, home and tmp under the root, an env with PATH and HOME, and a recording logger', () => {
    const root = tempDir();
    const world = providerTestWorld(root, { skip: ['trace'] });
    expect(world.cwd).toBe(path.join(root, 'work'));
    expect(world.home).toBe(path.join(root, 'home'));
    expect(world.tmp).toBe(path.join(root, 'tmp'));
    for (const dir of [world.cwd, world.home, world.tmp]) expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(world.env).toEqual({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: world.home });
    world.logger.trace('dropped');
    world.logger.child({ turn: 1 }).info('kept');
    expect(world.logs).toEqual([{ level: 'info', message: 'kept', bindings: { turn: 1 } }]);
  });
});

describe('echoServerEntry', () => {
  it('writes the script once, on first use, and returns a stdio entry with the env given', () => {
    let made = 0;
    const echoServer = echoServerEntry(() => {
      made += 1;
      return tempDir();
    });
    expect(made).toBe(0);
    const first = echoServer({ A: '1' });
    const second = echoServer();
    expect(made).toBe(1);
    expect(first).toEqual({
      type: 'stdio',
      command: process.execPath,
      args: [expect.any(String)],
      env: { A: '1' },
    });
    expect(second).toEqual({ ...first, env: {} });
    expect(fs.existsSync((first as { args: string[] }).args[0]!)).toBe(true);
  });
});
