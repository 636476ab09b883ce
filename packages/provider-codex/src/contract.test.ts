import { type ContractReply, type FakeResponsesStep, providerContract } from '@nanoclaw/testing';
import { afterAll } from 'vitest';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

afterAll(cleanupTempDirs);

/** The real `codex app-server`, pointed at the loopback Responses fake (auth mode C). */
providerContract({
  name: 'codex',
  timeoutMs: 90_000,
  async setup() {
    const world = await createWorld();
    return {
      provider: testProvider(world),
      model: {
        script: (match, reply) => world.fake.on(match, toStep(reply)),
        requests: () =>
          world.fake.requests
            .filter((request) => request.kind === 'turn')
            .map((request) => ({ lastUserText: request.lastUserText, body: JSON.stringify(request.body) })),
      },
      sessionOptions: () => ({ cwd: world.cwd, env: world.env, model: 'fake-model' }),
      teardown: () => world.fake.close(),
    };
  },
});

function toStep(reply: ContractReply): FakeResponsesStep {
  if ('error' in reply) return { error: reply.error };
  if ('command' in reply) return { exec: reply.command, text: reply.text };
  if ('mcp' in reply) return { mcp: reply.mcp, text: reply.text };
  return { text: reply.text, delayMs: reply.delayMs, usage: reply.usage };
}
