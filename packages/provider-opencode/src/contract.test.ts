import { type ContractReply, type FakeChatStep, fakeModelProviderContract } from '@nanoclaw/testing';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

/** The real `opencode serve`, pointed at the loopback Chat Completions fake (`OPENAI_BASE_URL`). */
fakeModelProviderContract({
  name: 'opencode',
  createWorld,
  cleanupTempDirs,
  // One retry of a failing request (opencode waits ~2 s before it), then the turn fails.
  provider: (world) => testProvider(world, { maxRetries: 1 }),
  agentRequests: (world) => world.fake.agentRequests(),
  model: 'fake-model',
  toStep,
});

function toStep(reply: ContractReply): FakeChatStep {
  if ('error' in reply) return { error: reply.error };
  if ('command' in reply) return { command: reply.command, text: reply.text };
  if ('mcp' in reply) return { mcp: reply.mcp, text: reply.text };
  return {
    text: reply.text,
    ...(reply.delayMs === undefined ? {} : { delayMs: reply.delayMs }),
    ...(reply.usage === undefined ? {} : { usage: reply.usage }),
  };
}
