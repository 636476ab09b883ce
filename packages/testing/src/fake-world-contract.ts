/** The provider contract run against a real runtime pointed at one of this package's loopback fake models. */
import type { AgentProvider } from '@nanoclaw/core';
import { afterAll } from 'vitest';
import { imagesOf } from './fake-images.js';
import { type ContractReply, providerContract } from './provider-contract.js';

/** One test's world: a fake model server, the session's working directory and the env pointing at the fake. */
export interface FakeModelWorld<Step> {
  fake: { on(match: string, step: Step): void; close(): Promise<void> };
  cwd: string;
  env: Record<string, string>;
}

export interface FakeModelContractOptions<World extends FakeModelWorld<Step>, Step> {
  /** Shown in the suite's name, e.g. `codex`. */
  name: string;
  /** A fresh world per test. */
  createWorld(): Promise<World>;
  /** The provider under test, configured for `world`. */
  provider(world: World): AgentProvider;
  /** The agent requests the fake saw so far, in order (side requests left out). */
  agentRequests(world: World): ReadonlyArray<{ lastUserText: string; body: unknown }>;
  /** The fake's step for a contract reply. */
  toStep(reply: ContractReply): Step;
  /** The model sessions ask for. */
  model: string;
  /** Removes the test file's temp dirs, after all its tests. */
  cleanupTempDirs(): void;
  /** Per-test timeout (default 90 s: a real runtime's cold start is slow). */
  timeoutMs?: number;
}

/** Runs `providerContract` with a fresh fake-model world per test. Call it at the top level of a test file. */
export function fakeModelProviderContract<World extends FakeModelWorld<Step>, Step>(
  options: FakeModelContractOptions<World, Step>,
): void {
  afterAll(options.cleanupTempDirs);
  providerContract({
    name: options.name,
    timeoutMs: options.timeoutMs ?? 90_000,
    async setup() {
      const world = await options.createWorld();
      return {
        provider: options.provider(world),
        model: {
          script: (match, reply) => world.fake.on(match, options.toStep(reply)),
          requests: () =>
            options.agentRequests(world).map((request) => ({
              lastUserText: request.lastUserText,
              body: JSON.stringify(request.body),
              images: imagesOf(request.body),
            })),
        },
        sessionOptions: () => ({ cwd: world.cwd, env: world.env, model: options.model }),
        teardown: () => world.fake.close(),
      };
    },
  });
}
