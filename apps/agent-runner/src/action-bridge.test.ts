import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActionBridge, forwardAction } from './action-bridge.js';

describe('action bridge', () => {
  it('carries an action to the handler and its result back, on a private socket', async () => {
    const seen: unknown[] = [];
    const bridge = await createActionBridge({
      handle: async (action) => {
        seen.push(action);
        return { ok: true, result: 42 };
      },
    });
    try {
      expect(statSync(bridge.socketPath).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(bridge.socketPath)).mode & 0o777).toBe(0o700);
      const results = await Promise.all([
        forwardAction(bridge.socketPath, { tool: 'list_tasks' }),
        forwardAction(bridge.socketPath, { tool: 'list_chats' }),
      ]);
      expect(results).toEqual([
        { ok: true, result: 42 },
        { ok: true, result: 42 },
      ]);
      expect(seen).toEqual(expect.arrayContaining([{ tool: 'list_tasks' }, { tool: 'list_chats' }]));
    } finally {
      await bridge.close();
    }
    expect(existsSync(dirname(bridge.socketPath))).toBe(false);
    await bridge.close();
  });

  it('answers ok:false when the runner closes before answering', async () => {
    let bridge: Awaited<ReturnType<typeof createActionBridge>> | undefined;
    bridge = await createActionBridge({
      handle: async () => {
        await bridge?.close();
        return new Promise<never>(() => {});
      },
    });
    const result = await forwardAction(bridge.socketPath, { tool: 'list_tasks' });
    expect(result).toEqual({ ok: false, error: 'runner closed the connection before answering' });
  });

  it('answers ok:false when the runner is unreachable', async () => {
    const result = await forwardAction('/nonexistent/nanoclaw.sock', { tool: 'list_tasks' });
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^runner unreachable/) });
  });
});
