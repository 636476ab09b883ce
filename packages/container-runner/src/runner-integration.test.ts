import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AgentAction, AgentEvent, ContainerRuntime, SandboxSpec } from '@nanoclaw/core';
import type { ContractAvailability } from '@nanoclaw/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxConnection } from './sandbox-connection.js';
import { runnerAppMount } from './sandbox-spec.js';
import {
  buildScratchImage,
  bwrapAvailability,
  captureLogger,
  collect,
  dockerAvailability,
  makeScratchDir,
  makeWritableDir,
  RUNNER_DIST,
  testBwrapRuntime,
  testDockerRuntime,
} from './test-utils/sandbox-test-env.js';

/**
 * The real apps/agent-runner bundle (its built-in `mock` provider) in real sandboxes: session, a turn, an MCP
 * tool call that comes back to the host as `agent/action`, and the env the agent sees. Skipped (with a
 * printed reason) until `apps/agent-runner/dist/main.js` is built.
 */
const RUNNER_MAIN = path.join(RUNNER_DIST, 'main.js');
const RUNNER_IMAGE = 'nanoclaw-test/agent-runner:scratch';

function realRunnerSuite(
  name: string,
  availability: () => Promise<ContractAvailability>,
  makeRuntime: () => ContainerRuntime,
  image?: () => Promise<string>,
) {
  describe(`real agent-runner through ${name}`, () => {
    let root: string;
    beforeAll(async () => {
      root = await makeScratchDir(`runner-${name}`);
    });
    afterAll(() => fs.rm(root, { recursive: true, force: true }));

    it('runs a mock turn with an agent tool call and an allowlisted env only', async (ctx) => {
      if (!existsSync(RUNNER_MAIN)) {
        if (process.env.CI === 'true') throw new Error(`${RUNNER_MAIN} is not built: run pnpm build first`);
        console.warn(`[real runner: ${name}] skipped: ${RUNNER_MAIN} is not built`);
        return ctx.skip();
      }
      const available = await availability();
      if (!available.ok) {
        if (available.required) throw new Error(`${name} required: ${available.reason}`);
        console.warn(`[real runner: ${name}] skipped: ${available.reason}`);
        return ctx.skip();
      }
      const group = await makeWritableDir(root, 'group');
      const app = path.join(root, 'app');
      await fs.cp(RUNNER_DIST, app, { recursive: true });
      await fs.chmod(app, 0o755);
      process.env.NANOCLAW_RUNNER_TEST_HOST_SECRET = 'must-not-leak';
      const spec: SandboxSpec = {
        name: `nc-runner-${name}-${process.pid}`,
        ...(image ? { image: await image() } : {}),
        command: ['/usr/bin/node', '/app/main.js'],
        cwd: '/workspace/group',
        env: { HOME: '/home/agent', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', GREETING: 'hello-from-config' },
        mounts: [
          ...(image ? [] : [runnerAppMount(app)]),
          { hostPath: group, containerPath: '/workspace/group', readonly: false },
        ],
        network: 'none',
        limits: { memoryMb: 512, cpus: 1, pids: 256 },
        labels: { 'nanoclaw.install': 'runner-integration' },
        user: { uid: 1000, gid: 1000 },
      };
      const logger = captureLogger();
      const actions: AgentAction[] = [];
      const started = Date.now();
      const sandbox = await createSandboxConnection({
        runtime: makeRuntime(),
        spec,
        logger,
        onAction: (action) => {
          actions.push(action);
          return { ok: true, result: { messageId: 'm-1' } };
        },
      });
      const readyMs = Date.now() - started;
      try {
        const session = await sandbox.startSession({
          provider: 'mock',
          cwd: '/workspace/group',
          turnTimeoutMs: 30_000,
        });
        expect(session.resumed).toBe(false);
        const events: AgentEvent[] = await collect(
          sandbox.run({
            text: [
              '/tool nanoclaw.send_message {"text":"hi from the sandbox"}',
              '/echo-env GREETING',
              '/echo-env NANOCLAW_RUNNER_TEST_HOST_SECRET',
              'hello',
            ].join('\n'),
          }),
        );
        const end = events.find((e) => e.type === 'turn-end');
        expect(end, JSON.stringify(events)).toMatchObject({ type: 'turn-end', status: 'completed' });
        const finalText = end?.type === 'turn-end' ? end.text : '';
        expect(finalText).toContain('hello-from-config');
        expect(finalText).toContain('(unset)');
        expect(finalText).not.toContain('must-not-leak');
        expect(actions).toEqual([{ tool: 'send_message', text: 'hi from the sandbox' }]);
        expect(sandbox.continuation).toBeDefined();
      } finally {
        delete process.env.NANOCLAW_RUNNER_TEST_HOST_SECRET;
        await sandbox.close();
      }
      expect((await sandbox.closed).reason).toBe('closed');
      expect(logger.entries.some((e) => e.fields.stream === 'stderr')).toBe(true);
      console.log(`[real runner: ${name}] spawn to runner/ready: ${readyMs} ms`);
    }, 120_000);
  });
}

realRunnerSuite('bwrap', bwrapAvailability, testBwrapRuntime);
realRunnerSuite('docker', dockerAvailability, testDockerRuntime, async () => {
  // The registry-free image, built with the runner bundle inside, as CI and offline machines do.
  await buildScratchImage(RUNNER_IMAGE, RUNNER_DIST);
  return RUNNER_IMAGE;
});
