import fs from 'node:fs';
import path from 'node:path';
import { collect } from '@nanoclaw/container-runner/test';
import { containerConfigSchema } from '@nanoclaw/core';
import { createOpencodeHostContribution, VENDOR_APIS } from '@nanoclaw/provider-opencode/host';
import { createFakeAnthropicServer, type FakeAnthropicServer } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import { grepTree } from '../host/sandbox-env-probe.js';
import { resolveRuntimes, sandboxRuntimes } from '../host/test-runtimes.js';
import { useSuiteProject } from '../host/test-utils/e2e-host.js';
import { createAgentPool } from './agent-pool.js';
import type { AgentPool } from './types.js';

/**
 * The real OpenCode in bwrap and docker with an API-key login in the HOST's opencode `auth.json` (no key in the
 * env): its built-in Anthropic provider reaches the loopback fake only through the host's egress proxy, which
 * reads the key from that file; the session's home gets no copy of the login and no file there holds the key.
 * (The vendor's API is pointed at the fake with the contribution's `vendorApis`: the rest is as in production.)
 */
const LOGIN_KEY = 'sk-ant-opencode-login-e2e-not-real';

const targets = await resolveRuntimes(sandboxRuntimes(), { isolatedOnly: true });

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `OpenCode with an API-key login in its auth.json (${target.name})`,
    { timeout: 240_000 },
    () => {
      let root: string;
      let fake: FakeAnthropicServer;
      let pool: AgentPool;

      useSuiteProject(`nanoclaw-opencode-login-${target.name}`, target.runtime, async (project, runtime) => {
        root = project.root;
        fake = project.closing(await createFakeAnthropicServer());
        const hostHome = path.join(root, 'host-home');
        const authFile = path.join(hostHome, '.local', 'share', 'opencode', 'auth.json');
        fs.mkdirSync(path.dirname(authFile), { recursive: true });
        fs.writeFileSync(authFile, JSON.stringify({ anthropic: { type: 'api', key: LOGIN_KEY } }));
        fs.mkdirSync(path.join(root, 'groups', 'main'), { recursive: true });
        const anthropic = VENDOR_APIS.anthropic;
        if (!anthropic) throw new Error('opencode has no anthropic API');
        const config = containerConfigSchema.parse({ model: 'anthropic/claude-sonnet-4-5' });
        pool = createAgentPool({
          runtime,
          projectRoot: root,
          installId: `opencode-login-${target.name}-${process.pid}`,
          hostEnv: {},
          profiles: {
            opencode: createOpencodeHostContribution({
              hostHome,
              vendorApis: { ...VENDOR_APIS, anthropic: { ...anthropic, upstream: `${fake.baseUrl}/v1` } },
            }),
          },
          getContainerConfig: () => config,
        });
        project.defer(() => pool.closeAll());
      });

      it("answers through the host, which adds the key from the host's auth.json; the sandbox holds no copy", async () => {
        fake.on('hello login', { text: 'Answered with the host login.' });
        const { sandbox } = await pool.acquire({
          group: { id: 'g-main', folder: 'main', isMain: true },
          session: { id: `sess-login-${target.name}` },
          provider: 'opencode',
          onAction: () => ({ ok: true, result: { ok: true } }),
        });
        const events = await collect(sandbox.run({ text: 'hello login' }));
        expect(events.find((event) => event.type === 'turn-end')).toMatchObject({
          status: 'completed',
          text: 'Answered with the host login.',
        });
        const request = fake.requests.find((r) => JSON.stringify(r.body).includes('hello login'));
        expect(request?.headers['x-api-key']).toBe(LOGIN_KEY);
        expect(grepTree(path.join(root, 'data'), LOGIN_KEY)).toEqual([]);
        expect(grepTree(path.join(root, 'groups'), LOGIN_KEY)).toEqual([]);
      });
    },
  );
}
