import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { configFor, createCliHarness, freePort, runCli } from './test-utils.js';

const cleanups = useCleanups();

describe('reaching the host', () => {
  it('says clearly when no host is running', async () => {
    const root = cleanups.scratch('nanoclaw-cli');
    const port = await freePort();
    const config = configFor(root, { NANOCLAW_HTTP_PORT: String(port) });
    for (const args of [['status'], ['send', '--group', 'main', '--wait', 'hi']]) {
      const result = await runCli(args, { loadConfig: () => config, env: {} });
      expect(result.code).toBe(69);
      expect(result.stderr).toBe(
        `nanoclaw: no host answers on 127.0.0.1:${port} — start it with \`pnpm dev\` or \`nanoclaw start\`\n`,
      );
    }
  });

  it('says the token was refused when it is not the host’s', async () => {
    const harness = await createCliHarness();
    try {
      fs.writeFileSync(path.join(harness.dataDir, 'api-token'), 'another-token-entirely-0123456789\n');
      const result = await harness.run(['groups', 'list']);
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(
        /refused the token from .*api-token \(is NANOCLAW_DATA_DIR the host's\?\)/,
      );
    } finally {
      await harness.cleanup();
    }
  });

  it('says where the token should be when the host runs but the data dir has none', async () => {
    const harness = await createCliHarness();
    try {
      fs.rmSync(path.join(harness.dataDir, 'api-token'));
      const result = await harness.run(['status']);
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(/no API token at .*api-token/);
    } finally {
      await harness.cleanup();
    }
  });

  it('reports a bad configuration with exit code 78', async () => {
    const root = cleanups.scratch('nanoclaw-cli');
    fs.writeFileSync(path.join(root, '.env'), 'NANOCLAW_HTTP_PORT=seventy\n');
    const result = await runCli(['status'], {
      loadConfig: () => configFor(root, {}),
      env: {},
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('NANOCLAW_HTTP_PORT: must be a number');
  });
});
