import { type ContractReply, type FakeAnthropicStep, fakeModelProviderContract } from '@nanoclaw/testing';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

/** The real Claude Code (native binary via the Agent SDK), pointed at the loopback Anthropic fake. */
fakeModelProviderContract({
  name: 'claude',
  createWorld,
  cleanupTempDirs,
  provider: (world) => testProvider(world),
  agentRequests: (world) => world.fake.agentRequests(),
  model: 'claude-sonnet-4-5',
  toStep,
});

function toStep(reply: ContractReply): FakeAnthropicStep {
  if ('error' in reply) return { error: reply.error };
  if ('command' in reply) return { command: reply.command, text: reply.text };
  if ('mcp' in reply) return { mcp: reply.mcp, text: reply.text };
  return { text: reply.text, delayMs: reply.delayMs, usage: reply.usage };
}
