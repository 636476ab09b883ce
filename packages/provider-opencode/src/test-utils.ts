import {
  createFakeChatCompletionsServer,
  createTempDirs,
  echoServerEntry,
  type FakeChatCompletionsServer,
  type FakeChatStep,
  type ProviderTestWorld,
  providerTestWorld,
} from '@nanoclaw/testing';
import { createOpencodeProvider, type OpencodeProviderOptions } from './provider.js';

/** Temp dirs made by `tempDir`, removed by `cleanupTempDirs`. */
export const { tempDir, cleanupTempDirs } = createTempDirs('nanoclaw-opencode-');

/** One test's world: its own HOME (XDG dirs under it), TMPDIR and working directory, and a fake model. */
export interface OpencodeTestWorld extends ProviderTestWorld {
  fake: FakeChatCompletionsServer;
  /** The session env: `OPENAI_BASE_URL` = the fake, model `fake-model` (provider `nanoclaw`). */
  env: Record<string, string>;
}

export async function createWorld(fake?: FakeChatCompletionsServer): Promise<OpencodeTestWorld> {
  const server = fake ?? (await createFakeChatCompletionsServer());
  // Trace lines are not recorded: OpenCode's event stream would flood the log.
  const world = providerTestWorld(tempDir(), { skip: ['trace'] });
  const env = {
    ...world.env,
    TMPDIR: world.tmp,
    OPENAI_BASE_URL: server.baseUrl,
    OPENCODE_MODEL: 'fake-model',
  };
  return { ...world, fake: server, env };
}

/** A provider for tests: no retries of failing model requests, so failures are immediate. */
export function testProvider(world: OpencodeTestWorld, options: OpencodeProviderOptions = {}) {
  return createOpencodeProvider({ maxRetries: 0, logger: world.logger, ...options });
}

/** The echo MCP server (from @nanoclaw/testing) as an `mcpServers` entry (tools: echo, fail, slow, env). */
export const echoServer = echoServerEntry(() => tempDir('nanoclaw-echo-mcp-'));

/** A fake step running `command` through bash; the follow-up request gets `after`. */
export function commandStep(command: string, after: FakeChatStep): FakeChatStep {
  // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
  return { command, then: after };
}
