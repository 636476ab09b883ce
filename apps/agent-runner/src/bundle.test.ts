import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_MAIN, spawnRunner } from './test-utils.js';

describe('the bundle', () => {
  const sandbox = mkdtempSync(join(tmpdir(), 'nanoclaw-bundle-'));
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  it('runs from a copy of dist/ with no node_modules anywhere above it', async () => {
    cpSync(dirname(DIST_MAIN), join(sandbox, 'dist'), { recursive: true });
    for (let dir = sandbox; dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
    }
    expect(readdirSync(join(sandbox, 'dist'))).toEqual(expect.arrayContaining(['main.js', 'mcp-server.js']));

    const h = spawnRunner({
      main: join(sandbox, 'dist', 'main.js'),
      cwd: sandbox,
      onAction: (action) => ({ ok: true, result: { got: action.tool } }),
    });
    try {
      await h.startSession({ protocolVersion: 1, provider: 'mock', cwd: sandbox, turnTimeoutMs: 10_000 });
      const { events } = await h.run('r1', '/tool nanoclaw.list_tasks {}');
      expect(events.at(-1)).toMatchObject({
        type: 'turn-end',
        status: 'completed',
        text: 'nanoclaw.list_tasks: {"got":"list_tasks"}',
      });
      expect(h.actions).toEqual([{ tool: 'list_tasks' }]);
    } finally {
      await h.dispose();
    }
  });
});
