import { type ContractReply, type FakeChatStep, providerContract } from '@nanoclaw/testing';
import { afterAll } from 'vitest';
import { cleanupTempDirs, createWorld, testProvider } from './test-utils.js';

afterAll(cleanupTempDirs);

/** The real `opencode serve`, pointed at the loopback Chat Completions fake (`OPENAI_BASE_URL`). */
providerContract({
  name: 'opencode',
  timeoutMs: 90_000,
  async setup() {
    const world = await createWorld();
    return {
      // One retry of a failing request (opencode waits ~2 s before it), then the turn fails.
      provider: testProvider(world, { maxRetries: 1 }),
      model: {
        script: (match, reply) => world.fake.on(match, toStep(reply)),
        requests: () =>
          world.fake
            .agentRequests()
            .map((request) => ({ lastUserText: request.lastUserText, body: JSON.stringify(request.body) })),
      },
      sessionOptions: () => ({ cwd: world.cwd, env: world.env, model: 'fake-model' }),
      teardown: () => world.fake.close(),
    };
  },
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
