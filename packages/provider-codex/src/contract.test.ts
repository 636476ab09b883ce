import { type ContractReply, type FakeResponsesStep, fakeModelProviderContract } from '@nanoclaw/testing';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

/** The real `codex app-server`, pointed at the loopback Responses fake (auth mode C). */
fakeModelProviderContract({
  name: 'codex',
  createWorld,
  cleanupTempDirs,
  provider: (world) => testProvider(world),
  agentRequests: (world) => world.fake.requests.filter((request) => request.kind === 'turn'),
  model: 'fake-model',
  toStep,
});

function toStep(reply: ContractReply): FakeResponsesStep {
  if ('error' in reply) return { error: reply.error };
  if ('command' in reply) return { exec: reply.command, text: reply.text };
  if ('mcp' in reply) return { mcp: reply.mcp, text: reply.text };
  return { text: reply.text, delayMs: reply.delayMs, usage: reply.usage };
}
