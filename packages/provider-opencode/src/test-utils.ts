import fs from 'node:fs';
import path from 'node:path';
import type { Logger, McpServerConfig } from '@nanoclaw/core';
import {
  createFakeChatCompletionsServer,
  createTempDirs,
  type FakeChatCompletionsServer,
  type FakeChatStep,
  type LogLine,
  memoryLogger,
  writeEchoMcpServer,
} from '@nanoclaw/testing';
import { createOpencodeProvider, type OpencodeProviderOptions } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
export const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-opencode-');

/** One test's world: its own HOME (XDG dirs under it), TMPDIR and working directory, and a fake model. */
export interface OpencodeTestWorld {
  fake: FakeChatCompletionsServer;
  root: string;
  cwd: string;
  home: string;
  /** The session env: `OPENAI_BASE_URL` = the fake, model `fake-model` (provider `nanoclaw`). */
  env: Record<string, string>;
  logs: LogLine[];
  logger: Logger;
}

export async function createWorld(fake?: FakeChatCompletionsServer): Promise<OpencodeTestWorld> {
  const server = fake ?? (await createFakeChatCompletionsServer());
  const root = tempDir();
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  for (const dir of [cwd, home, tmp]) fs.mkdirSync(dir, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    OPENAI_BASE_URL: server.baseUrl,
    OPENCODE_MODEL: 'fake-model',
  };
  const logs: LogLine[] = [];
  // Trace lines are not recorded: OpenCode's event stream would flood the log.
  return { fake: server, root, cwd, home, env, logs, logger: memoryLogger(logs, {}, { skip: ['trace'] }) };
}

/** A provider for tests: no retries of failing model requests, so failures are immediate. */
export function testProvider(world: OpencodeTestWorld, options: OpencodeProviderOptions = {}) {
  return createOpencodeProvider({ maxRetries: 0, logger: world.logger, ...options });
}

let echoScript: string | undefined;

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export function echoServer(env: Record<string, string> = {}): McpServerConfig {
  echoScript ??= writeEchoMcpServer(tempDir('nanoclaw-echo-mcp-'));
  return { type: 'stdio', command: process.execPath, args: [echoScript], env };
}

/** A fake step running `command` through bash; the follow-up request gets `after`. */
export function commandStep(command: string, after: FakeChatStep): FakeChatStep {
  // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
  return { command, then: after };
}
