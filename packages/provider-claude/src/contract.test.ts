import type { ContractReply, FakeAnthropicStep } from '@nanoclaw/testing';
import { providerContract } from '@nanoclaw/testing';
import { afterAll } from 'vitest';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

afterAll(cleanupTempDirs);

/** The real Claude Code (native binary via the Agent SDK), pointed at the loopback Anthropic fake. */
providerContract({
  name: 'claude',
  timeoutMs: 90_000,
  async setup() {
    const world = await createWorld();
    return {
      provider: testProvider(world),
      model: {
        script: (match, reply) => world.fake.on(match, toStep(reply)),
        requests: () =>
          world.fake
            .agentRequests()
            .map((request) => ({ lastUserText: request.lastUserText, body: JSON.stringify(request.body) })),
      },
      sessionOptions: () => ({ cwd: world.cwd, env: world.env, model: 'claude-sonnet-4-5' }),
      teardown: () => world.fake.close(),
    };
  },
});

function toStep(reply: ContractReply): FakeAnthropicStep {
  if ('error' in reply) return { error: reply.error };
  if ('command' in reply) return { command: reply.command, text: reply.text };
  if ('mcp' in reply) return { mcp: reply.mcp, text: reply.text };
  return { text: reply.text, delayMs: reply.delayMs, usage: reply.usage };
}
