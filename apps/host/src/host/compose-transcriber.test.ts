import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import { describe, expect, it } from 'vitest';
import type { AgentPool, ToolRunRequest } from '../agent-pool/types.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { TranscriberContext } from '../media/configured-transcriber.js';
import { startHost } from '../start-host.js';
import { createHost } from './compose-host.js';
import { useCleanups } from './test-utils/cleanups.js';

const cleanups = useCleanups();
const logger = createLogger({ level: 'silent', format: 'json' });

function configIn(root: string, env: Record<string, string> = {}) {
  return loadConfig({
    env: { NANOCLAW_HTTP_PORT: '0', AGENT_PROVIDER: 'mock', LOG_LEVEL: 'silent', TZ: 'UTC', ...env },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
}

const idlePool = (runs: ToolRunRequest[]): AgentPool => ({
  acquire: async () => {
    throw new Error('not in this test');
  },
  discard: async () => undefined,
  liveSessions: () => [],
  list: () => [],
  kill: async () => false,
  closeAll: async () => undefined,
  runTool: async (request) => {
    runs.push(request);
    return { code: 0, output: '', timedOut: false };
  },
});

describe('the host and its transcriber', () => {
  it('is made once the runtime is known, with the pool whose sandboxes convert audio', async () => {
    const root = cleanups.scratch('nanoclaw-transcriber-host');
    const contexts: TranscriberContext[] = [];
    const runs: ToolRunRequest[] = [];
    const host = await createHost({
      config: configIn(root, { TRANSCRIBE_BASE_URL: 'http://127.0.0.1:8000/v1' }),
      logger,
      createPool: () => idlePool(runs),
      runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }),
      createTranscriber: (context) => {
        contexts.push(context);
        return { transcribe: async () => 'heard' };
      },
    });
    cleanups.add(() => host.stop());
    expect(contexts).toHaveLength(1);
    expect(contexts[0]?.config.TRANSCRIBE_BASE_URL).toBe('http://127.0.0.1:8000/v1');
    expect(contexts[0]?.runtime?.name).toBe('process');
    const request = { group: { id: 'g', folder: 'main' }, command: ['ffmpeg'], timeoutMs: 1_000 };
    await contexts[0]?.pool.runTool?.(request);
    expect(runs).toEqual([request]);
  });

  it('startHost starts with a transcription endpoint configured', async () => {
    const root = cleanups.scratch('nanoclaw-transcriber-start');
    const host = await startHost(configIn(root, { TRANSCRIBE_BASE_URL: 'http://127.0.0.1:9/v1' }), logger, {
      runtime: createProcessRuntime({ unsafeAllowNoIsolation: true }),
    });
    cleanups.add(() => host.stop());
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
  });
});
