import {
  createFakeAnthropicServer,
  createTempDirs,
  echoServerEntry,
  type FakeAnthropicServer,
  type ProviderTestWorld,
  providerTestWorld,
} from '@nanoclaw/testing';
import { type ClaudeProviderOptions, createClaudeProvider } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
export const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-claude-');

/** One test's world: its own HOME (so its own `~/.claude`), working directory and fake model server. */
export interface ClaudeTestWorld extends ProviderTestWorld {
  fake: FakeAnthropicServer;
  /** The session env: API key mode against the fake. */
  env: Record<string, string>;
}

export async function createWorld(): Promise<ClaudeTestWorld> {
  const fake = await createFakeAnthropicServer();
  const world = providerTestWorld(tempDir());
  const env = {
    ...world.env,
    TMPDIR: world.tmp,
    CLAUDE_CODE_TMPDIR: world.tmp,
    ANTHROPIC_BASE_URL: fake.baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-fake',
    CLAUDE_MODEL: 'claude-sonnet-4-5',
  };
  return { ...world, fake, env };
}

/** A provider for tests: no retries against the fake, so failures are immediate. */
export function testProvider(world: ClaudeTestWorld, options: ClaudeProviderOptions = {}) {
  return createClaudeProvider({ maxRetries: 0, logger: world.logger, ...options });
}

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export const echoServer = echoServerEntry(() => tempDir('nanoclaw-echo-mcp-'));
