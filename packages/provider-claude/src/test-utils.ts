import fs from 'node:fs';
import path from 'node:path';
import type { Logger, McpServerConfig } from '@nanoclaw/core';
import {
  createFakeAnthropicServer,
  createTempDirs,
  type FakeAnthropicServer,
  type LogLine,
  memoryLogger,
  writeEchoMcpServer,
} from '@nanoclaw/testing';
import { type ClaudeProviderOptions, createClaudeProvider } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
export const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-claude-');

/** One test's world: its own HOME (so its own `~/.claude`), working directory and fake model server. */
export interface ClaudeTestWorld {
  fake: FakeAnthropicServer;
  root: string;
  cwd: string;
  home: string;
  /** The session env: API key mode against the fake. */
  env: Record<string, string>;
  logs: LogLine[];
  logger: Logger;
}

export async function createWorld(): Promise<ClaudeTestWorld> {
  const fake = await createFakeAnthropicServer();
  const root = tempDir();
  const cwd = path.join(root, 'work');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  for (const dir of [cwd, home, tmp]) fs.mkdirSync(dir, { recursive: true });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    CLAUDE_CODE_TMPDIR: tmp,
    ANTHROPIC_BASE_URL: fake.baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-fake',
    CLAUDE_MODEL: 'claude-sonnet-4-5',
  };
  const logs: LogLine[] = [];
  return { fake, root, cwd, home, env, logs, logger: memoryLogger(logs) };
}

/** A provider for tests: no retries against the fake, so failures are immediate. */
export function testProvider(world: ClaudeTestWorld, options: ClaudeProviderOptions = {}) {
  return createClaudeProvider({ maxRetries: 0, logger: world.logger, ...options });
}

let echoScript: string | undefined;

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export function echoServer(env: Record<string, string> = {}): McpServerConfig {
  echoScript ??= writeEchoMcpServer(tempDir('nanoclaw-echo-mcp-'));
  return { type: 'stdio', command: process.execPath, args: [echoScript], env };
}
