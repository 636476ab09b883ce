import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ContainerRuntime } from '@nanoclaw/core';
import {
  createFakeAnthropicServer,
  createFakeChatCompletionsServer,
  createFakeResponsesServer,
  type FakeAnthropicServer,
  type FakeChatCompletionsServer,
  type FakeResponsesServer,
} from '@nanoclaw/testing';
import { createHostClient, createReplyWatcher, type HostClient } from '../cli/index.js';
import { loadConfig } from '../config.js';
import { readApiToken } from '../http/index.js';
import { createLogger } from '../logger.js';
import { type RunningHost, startHost } from '../start-host.js';

/** Starts a host on `root` (a temp project) with `runtime`; the API client talks to it. Test helper. */
export async function startTestHost(
  root: string,
  runtime: ContainerRuntime,
  env: Record<string, string> = {},
): Promise<{ host: RunningHost; client: HostClient }> {
  const config = loadConfig({
    env: {
      NANOCLAW_HTTP_PORT: '0',
      AGENT_PROVIDER: 'mock',
      LOG_LEVEL: process.env.NANOCLAW_TEST_LOG_LEVEL ?? 'silent',
      TZ: 'UTC',
      ...env,
    },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
  const logger = createLogger({ level: config.LOG_LEVEL, format: 'json', destination: process.stderr });
  const host = await startHost(config, logger, { runtime });
  const client = createHostClient({
    baseUrl: host.url,
    token: () => readApiToken(config.NANOCLAW_DATA_DIR),
    tokenSource: config.NANOCLAW_DATA_DIR,
  });
  return { host, client };
}

/** Posts `text` to the group and waits for what the user sees: a reply or an error. */
export async function ask(client: HostClient, folder: string, text: string, timeoutMs = 60_000) {
  const watcher = createReplyWatcher({ lateReplyGraceMs: 2_000 });
  const stream = await client.openEvents(folder, (event) => watcher.handle(event));
  try {
    const posted = await client.postMessage(folder, { text });
    const outcome = await watcher.wait(posted.messageId, { signal: AbortSignal.timeout(timeoutMs) });
    return { posted, outcome };
  } finally {
    stream.close();
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The three loopback model fakes behind one host, and the host env that points each provider at its fake. */
export interface FakeModels {
  anthropic: FakeAnthropicServer;
  responses: FakeResponsesServer;
  chat: FakeChatCompletionsServer;
  /** Dummy keys, `ANTHROPIC_BASE_URL`, one `OPENAI_BASE_URL` for Codex and OpenCode, no Codex retries. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the Anthropic, Responses and chat-completions fakes. Codex and OpenCode share `OPENAI_BASE_URL`: a mux
 * on it sends `/v1/responses…` to the Responses fake and everything else to the chat-completions fake.
 */
export async function startFakeModels(): Promise<FakeModels> {
  const anthropic = await createFakeAnthropicServer();
  const responses = await createFakeResponsesServer();
  const chat = await createFakeChatCompletionsServer();
  const mux = createServer((req, res) => {
    const rest = (req.url ?? '/').replace(/^\/v1/, '');
    const base = rest.startsWith('/responses') ? responses.baseUrl : chat.baseUrl;
    const upstream = request(`${base}${rest}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => mux.listen(0, '127.0.0.1', resolve));
  return {
    anthropic,
    responses,
    chat,
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-e2e-not-real',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      OPENAI_API_KEY: 'sk-e2e-not-real',
      OPENAI_BASE_URL: `http://127.0.0.1:${(mux.address() as AddressInfo).port}/v1`,
      CODEX_MAX_RETRIES: '0',
    },
    async close() {
      await Promise.all([anthropic.close(), responses.close(), chat.close()]);
      mux.closeAllConnections();
      await new Promise((resolve) => mux.close(resolve));
    },
  };
}
