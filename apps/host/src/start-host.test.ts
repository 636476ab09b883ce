import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { type RunningHost, startHost } from './start-host.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-host-'));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const config = loadConfig({ env: { NANOCLAW_HTTP_PORT: '0', LOG_LEVEL: 'silent' }, cwd: root });
  return { root, config, logger: createLogger({ level: 'silent', format: 'json' }) };
}

async function start(): Promise<{ root: string; host: RunningHost }> {
  const { root, config, logger } = setup();
  const host = await startHost(config, logger);
  cleanups.push(() => host.stop());
  return { root, host };
}

describe('startHost on the embedded default', () => {
  it('creates the data dir, database, and the global and main groups, and answers /healthz', async () => {
    const { root, host } = await start();
    expect(fs.existsSync(path.join(root, 'data', 'nanoclaw.db'))).toBe(true);
    expect(fs.readFileSync(path.join(root, 'groups', 'global', 'AGENTS.md'), 'utf8')).toContain(
      'Shared memory',
    );
    expect(fs.existsSync(path.join(root, 'groups', 'main', 'AGENTS.md'))).toBe(true);
    const groups = await host.database.db.selectFrom('agent_groups').select(['folder', 'is_main']).execute();
    expect(groups).toEqual([{ folder: 'main', is_main: 1 }]);
    const response = await fetch(`${host.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('keeps what a user wrote and starts again on the same data', async () => {
    const { root, config, logger } = setup();
    fs.mkdirSync(path.join(root, 'groups', 'main'), { recursive: true });
    fs.writeFileSync(path.join(root, 'groups', 'main', 'AGENTS.md'), 'my notes');
    const first = await startHost(config, logger);
    await first.stop();
    const second = await startHost(config, logger);
    cleanups.push(() => second.stop());
    expect(fs.readFileSync(path.join(root, 'groups', 'main', 'AGENTS.md'), 'utf8')).toBe('my notes');
    expect(await second.database.db.selectFrom('agent_groups').select('folder').execute()).toHaveLength(1);
  });

  it('refuses a main group folder that is a symlink', async () => {
    const { root, config, logger } = setup();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-outside-'));
    cleanups.push(() => fs.rmSync(outside, { recursive: true, force: true }));
    fs.mkdirSync(path.join(root, 'groups'), { recursive: true });
    fs.symlinkSync(outside, path.join(root, 'groups', 'main'));
    await expect(startHost(config, logger)).rejects.toThrow(/symlink/);
  });

  it('says which port is taken', async () => {
    const { host } = await start();
    const { config, logger } = setup();
    const port = Number(new URL(host.url).port);
    await expect(startHost({ ...config, NANOCLAW_HTTP_PORT: port }, logger)).rejects.toThrow(
      new RegExp(`port ${port} is taken`),
    );
  });
});
