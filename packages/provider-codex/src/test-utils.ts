import fs from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createFakeResponsesServer,
  createTempDirs,
  echoServerEntry,
  type FakeResponsesServer,
  type FakeResponsesStep,
  type ProviderTestWorld,
  providerTestWorld,
} from '@nanoclaw/testing';
import { type CodexProviderOptions, createCodexProvider } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
export const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-codex-');

/** One test's world: its own CODEX_HOME, HOME and working directory, and a fresh fake model server. */
export interface CodexTestWorld extends ProviderTestWorld {
  fake: FakeResponsesServer;
  codexHome: string;
  /** The session env: mode C against the fake, model `fake-model`. */
  env: Record<string, string>;
}

export async function createWorld(): Promise<CodexTestWorld> {
  const fake = await createFakeResponsesServer();
  const world = providerTestWorld(tempDir());
  const codexHome = path.join(world.home, '.codex');
  const env = {
    ...world.env,
    CODEX_HOME: codexHome,
    OPENAI_BASE_URL: fake.baseUrl,
    CODEX_MODEL: 'fake-model',
  };
  return { ...world, fake, codexHome, env };
}

/** A provider for tests: no retries against the fake, so failures are immediate. */
export function testProvider(world: CodexTestWorld, options: CodexProviderOptions = {}) {
  return createCodexProvider({
    endpoint: { requestMaxRetries: 0, streamMaxRetries: 0, streamIdleTimeoutMs: 20_000 },
    logger: world.logger,
    ...options,
  });
}

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export const echoServer = echoServerEntry(() => fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-echo-mcp-')));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A loopback proxy in front of the fake that fails Codex's compaction requests with a 500 and forwards
 * everything else: a compaction that fails while turns keep working.
 */
export async function compactionFailingProxy(target: FakeResponsesServer): Promise<{
  baseUrl: string;
  compactionAttempts: number;
  close(): Promise<void>;
}> {
  const state = { compactionAttempts: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const meta = String(req.headers['x-codex-turn-metadata'] ?? '');
      if (/"request_kind"\s*:\s*"compaction"/.test(meta) || body.includes('CONTEXT CHECKPOINT COMPACTION')) {
        state.compactionAttempts++;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'compaction exploded', type: 'server_error' } }));
        return;
      }
      const upstream = httpRequest(
        { host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get compactionAttempts() {
      return state.compactionAttempts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The input items of a logged request body. */
export function inputOf(body: unknown): unknown[] {
  return typeof body === 'object' && body !== null && Array.isArray((body as { input?: unknown }).input)
    ? (body as { input: unknown[] }).input
    : [];
}

/** A fake step running `command` through exec_command; the follow-up request gets `after`. */
export function execStep(command: string, after: FakeResponsesStep): FakeResponsesStep {
  // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
  return { exec: command, then: after };
}

/** A fake step calling an MCP tool; the follow-up request gets `after`. */
export function mcpStep(
  call: { server: string; tool: string; arguments: Record<string, unknown> },
  after: FakeResponsesStep,
): FakeResponsesStep {
  // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
  return { mcp: call, then: after };
}
