import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFakeAnthropicServer,
  createFakeChatCompletionsServer,
  createFakeResponsesServer,
  type FakeAnthropicServer,
  type FakeChatCompletionsServer,
  type FakeResponsesServer,
} from '@nanoclaw/testing';

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
