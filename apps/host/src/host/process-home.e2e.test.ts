import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProcessRuntime } from '@nanoclaw/container-runner';
import type { ContainerRuntime } from '@nanoclaw/core';
import {
  createFakeAnthropicServer,
  createFakeChatCompletionsServer,
  createFakeResponsesServer,
} from '@nanoclaw/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { RunningHost } from '../start-host.js';
import { ask, startTestHost, until } from './test-utils/e2e-host.js';

/**
 * The process runtime keeps each provider's home in the session's folder, as the isolated runtimes do: the
 * real agent binary, against its loopback fake model, still has the conversation after its sandbox was closed
 * for being idle and after the host restarted. Proof: the fake's next request carries the first turn (the
 * question and the answer), which the host's own prompt does not repeat once a message was answered.
 */
interface FakeModel {
  baseUrl: string;
  requests: ReadonlyArray<{ body?: unknown }>;
  on(key: string, step: { text: string }): unknown;
  close(): Promise<void>;
}

interface ProviderCase {
  id: 'codex' | 'claude' | 'opencode';
  /** The provider's state folder under HOME, kept per session under data/sessions/<id>/home/. */
  homeDir: string;
  model: string;
  fake: () => Promise<FakeModel>;
  env: (baseUrl: string) => Record<string, string>;
}

const CASES: ProviderCase[] = [
  {
    id: 'codex',
    homeDir: '.codex',
    model: 'fake-model',
    fake: createFakeResponsesServer,
    env: (baseUrl) => ({
      OPENAI_BASE_URL: baseUrl,
      OPENAI_API_KEY: 'sk-process-home-not-real',
      CODEX_MAX_RETRIES: '0',
    }),
  },
  {
    id: 'claude',
    homeDir: '.claude',
    model: 'claude-fake',
    fake: createFakeAnthropicServer,
    env: (baseUrl) => ({ ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: 'sk-ant-process-home-not-real' }),
  },
  {
    id: 'opencode',
    homeDir: '.local/share/opencode',
    model: 'nanoclaw/fake-model',
    fake: createFakeChatCompletionsServer,
    env: (baseUrl) => ({ OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: 'sk-process-home-not-real' }),
  },
];

const FIRST_QUESTION = 'remember the word heliotrope';
const FIRST_ANSWER = 'Noted: heliotrope.';

for (const provider of CASES) {
  describe(`${provider.id} keeps its conversation in the process runtime`, { timeout: 240_000 }, () => {
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }, 60_000);

    it('after an idle close and after a host restart, the next request carries the first turn', async () => {
      const fake = await provider.fake();
      cleanups.push(() => fake.close());
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-process-home-${provider.id}-`));
      cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
      fs.mkdirSync(path.join(root, 'groups', 'main'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'groups', 'main.container.json'),
        JSON.stringify({ provider: provider.id, model: provider.model, timeouts: { idleMs: 1_000 } }),
      );
      const env = provider.env(fake.baseUrl);
      fake.on(FIRST_QUESTION, { text: FIRST_ANSWER });
      fake.on('second question', { text: 'Second answer.' });
      fake.on('third question', { text: 'Third answer.' });

      let runtime: ContainerRuntime = createProcessRuntime({ unsafeAllowNoIsolation: true });
      let started = await startTestHost(root, runtime, env);
      let host: RunningHost = started.host;
      let client: HostClient = started.client;
      cleanups.push(() => host.stop());

      expect((await ask(client, 'main', FIRST_QUESTION, 120_000)).outcome).toEqual({
        kind: 'reply',
        texts: [FIRST_ANSWER],
      });
      const home = path.join(root, 'data', 'sessions', onlySession(root), 'home', provider.homeDir);
      expect(filesUnder(home).length, `${provider.id} state in ${home}`).toBeGreaterThan(0);

      await until(async () => (await runtime.list({})).length === 0, 20_000);
      expect((await ask(client, 'main', 'second question', 120_000)).outcome).toEqual({
        kind: 'reply',
        texts: ['Second answer.'],
      });
      expectFirstTurnIn(requestFor(fake, 'second question'), 'after the idle close');

      await host.stop();
      runtime = createProcessRuntime({ unsafeAllowNoIsolation: true });
      started = await startTestHost(root, runtime, env);
      host = started.host;
      client = started.client;
      expect((await ask(client, 'main', 'third question', 120_000)).outcome).toEqual({
        kind: 'reply',
        texts: ['Third answer.'],
      });
      expectFirstTurnIn(requestFor(fake, 'third question'), 'after the host restart');
    });
  });
}

/** The (last) model request of the turn that asked `question`. */
function requestFor(fake: FakeModel, question: string): string {
  const bodies = fake.requests.map((request) => JSON.stringify(request.body ?? ''));
  const match = bodies.filter((body) => body.includes(question)).at(-1);
  if (!match) throw new Error(`no request carried "${question}"`);
  return match;
}

function expectFirstTurnIn(body: string, when: string): void {
  expect(body.includes(FIRST_QUESTION), `the first question ${when}`).toBe(true);
  expect(body.includes(FIRST_ANSWER), `the first answer ${when}`).toBe(true);
}

function onlySession(root: string): string {
  const sessions = fs.readdirSync(path.join(root, 'data', 'sessions'));
  expect(sessions).toHaveLength(1);
  return sessions[0] as string;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
