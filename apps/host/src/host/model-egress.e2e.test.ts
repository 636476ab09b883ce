import path from 'node:path';
import {
  createFakeAnthropicServer,
  createFakeChatCompletionsServer,
  type FakeAnthropicServer,
  type FakeChatCompletionsServer,
} from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { grepTree, installEnvProbe, readEnvProbe } from './sandbox-env-probe.js';
import { resolveRuntimes, sandboxRuntimes } from './test-runtimes.js';
import { ask, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';

/**
 * Claude Code and OpenCode with the DEFAULT container.json (network `full`) in bwrap and docker, each against
 * its loopback fake model: the runtime reaches the fake only through the host's egress proxy (its base URL is
 * the sandbox's own loopback, which it must not send to HTTPS_PROXY), the host adds the credential, and no
 * file or env var in the sandbox holds it. (Codex: codex.e2e.test.ts.)
 */
const API_KEY = 'sk-ant-e2e-api-key-not-real';
const OAUTH_TOKEN = 'sk-ant-oat01-e2e-token-not-real';
const OPENAI_KEY = 'sk-opencode-e2e-key-not-real';

interface Fakes {
  anthropic: FakeAnthropicServer;
  chat: FakeChatCompletionsServer;
}

interface Scenario {
  name: string;
  secret: string;
  env(fakes: Fakes): Record<string, string>;
  container: Record<string, unknown>;
  /** Scripts the fake to answer `text` with `answer`. */
  script(fakes: Fakes, text: string, answer: string): void;
  /** The credential headers of the model request that carried `text`. */
  seen(fakes: Fakes, text: string): Record<string, string> | undefined;
  expectHeaders(headers: Record<string, string> | undefined): void;
}

const anthropicSeen = (fakes: Fakes, text: string) =>
  fakes.anthropic.requests.find((request) => JSON.stringify(request.body).includes(text))?.headers;

/** Claude with `secret` as its credential `envKey`, against the fake Anthropic API. */
const claudeScenario = (
  name: string,
  envKey: string,
  secret: string,
  expectHeaders: Scenario['expectHeaders'],
): Scenario => ({
  name,
  secret,
  env: ({ anthropic }) => ({
    AGENT_PROVIDER: 'claude',
    [envKey]: secret,
    ANTHROPIC_BASE_URL: anthropic.baseUrl,
  }),
  container: { model: 'claude-fake' },
  script: ({ anthropic }, text, answer) => anthropic.on(text, { text: answer }),
  seen: anthropicSeen,
  expectHeaders,
});

const scenarios: Scenario[] = [
  claudeScenario('Claude with ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY', API_KEY, (headers) => {
    expect(headers?.['x-api-key']).toBe(API_KEY);
    expect(headers?.authorization).toBeUndefined();
  }),
  claudeScenario('Claude with CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', OAUTH_TOKEN, (headers) => {
    expect(headers?.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
    // Claude Code sent its subscription request (with a placeholder token): its own beta header passed.
    expect(headers?.['anthropic-beta']).toMatch(/oauth/);
    expect(headers?.['x-api-key']).toBeUndefined();
  }),
  {
    name: 'OpenCode with OPENAI_API_KEY at a custom endpoint',
    secret: OPENAI_KEY,
    env: ({ chat }) => ({
      AGENT_PROVIDER: 'opencode',
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: chat.baseUrl,
    }),
    container: { model: 'nanoclaw/fake-model' },
    script: ({ chat }, text, answer) => chat.on(text, { text: answer }),
    seen: ({ chat }, text) =>
      chat.requests.find((request) => JSON.stringify(request.body).includes(text))?.headers,
    expectHeaders: (headers) => expect(headers?.authorization).toBe(`Bearer ${OPENAI_KEY}`),
  },
];

const targets = await resolveRuntimes(sandboxRuntimes(), { isolatedOnly: true });

for (const target of targets) {
  for (const scenario of scenarios) {
    describe.skipIf(!target.runtime)(
      `${scenario.name} (${target.name}, default network)`,
      { timeout: 180_000 },
      () => {
        let root: string;
        let fakes: Fakes;
        let client: HostClient;

        useSuiteProject(`nanoclaw-egress-e2e-${target.name}`, target.runtime, async (project, runtime) => {
          root = project.root;
          fakes = {
            anthropic: project.closing(await createFakeAnthropicServer()),
            chat: project.closing(await createFakeChatCompletionsServer()),
          };
          const group = path.join(root, 'groups', 'main');
          const mcpServers = installEnvProbe(group, scenario.secret);
          // No `network` key: the default.
          writeGroupSettings(root, 'main', { ...scenario.container, mcpServers });
          ({ client } = await project.startHost(runtime, scenario.env(fakes)));
        });

        it('answers through the host, which adds the credential; no file or env var in the sandbox holds it', async () => {
          const answer = `${scenario.name}: hello through the host.`;
          scenario.script(fakes, 'hello egress', answer);
          const { outcome } = await ask(client, 'main', 'hello egress', 150_000);
          expect(outcome).toEqual({ kind: 'reply', texts: [answer] });
          scenario.expectHeaders(scenario.seen(fakes, 'hello egress'));
          expect(grepTree(path.join(root, 'data', 'sessions'), scenario.secret)).toEqual([]);
          expect(grepTree(path.join(root, 'groups'), scenario.secret)).toEqual([]);
          const report = await readEnvProbe(path.join(root, 'groups', 'main'));
          expect(report.sandboxEnvSeen, 'the probe read the sandbox env (the runner’s)').toBe(true);
          expect(report.holders, 'env vars holding the credential').toEqual([]);
        });
      },
    );
  }
}
