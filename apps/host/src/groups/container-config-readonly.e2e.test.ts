import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_LABELS } from '@nanoclaw/container-runner';
import { REPO_ROOT } from '@nanoclaw/container-runner/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { ask, startTestHost, until } from '../host/e2e-host.js';
import { sandboxRuntimes } from '../host/test-runtimes.js';
import type { RunningHost } from '../start-host.js';

/**
 * The agent cannot change its own configuration, seen from the host: a group's agent (the mock, in a real bwrap
 * or docker sandbox) runs a program that tries every way to rewrite, replace or create its container.json, and
 * afterwards the file and what `nanoclaw groups list` shows are what the user had: for a group with its own
 * container.json and for a group without one.
 */
const PROBE = path.join(REPO_ROOT, 'packages/container-runner/src/__fixtures__/config-probe.cjs');
const CONTROL = 'control: write a sibling file in the group folder';
const USER_CONFIG = '{ "trigger": "^@Keeper\\\\b" }\n';

const targets = await Promise.all(
  sandboxRuntimes()
    .filter((target) => target.name !== 'process') // no isolation there, nothing to pin
    .map(async (target) => ({ name: target.name, runtime: await target.runtime() })),
);

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `the agent cannot change its container.json (${target.name})`,
    { timeout: 180_000 },
    () => {
      let root: string;
      let host: RunningHost;
      let client: HostClient;
      const groupDir = (folder: string) => path.join(root, 'groups', folder);

      beforeAll(async () => {
        if (!target.runtime) return;
        root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-config-readonly-${target.name}-`));
        fs.chmodSync(root, 0o755);
        fs.mkdirSync(groupDir('keeper'), { recursive: true });
        fs.writeFileSync(path.join(groupDir('keeper'), 'container.json'), USER_CONFIG);
        ({ host, client } = await startTestHost(root, target.runtime));
        await client.addGroup({ folder: 'keeper', name: 'Has a container.json' });
        await client.addGroup({ folder: 'fresh', name: 'No container.json' });
      }, 180_000);

      afterAll(async () => {
        await host?.stop();
        if (root) fs.rmSync(root, { recursive: true, force: true });
      }, 60_000);

      /** The agent copies the probe into its folder and runs it; returns what each attempt did. */
      async function agentTriesToRewrite(folder: string, trigger: string): Promise<Record<string, string>> {
        fs.copyFileSync(PROBE, path.join(groupDir(folder), 'config-probe.cjs'));
        const { outcome } = await ask(
          client,
          folder,
          `${trigger}\n/exec ["node", "config-probe.cjs"]`,
          150_000,
        );
        if (outcome.kind !== 'reply') throw new Error(`the agent did not answer: ${JSON.stringify(outcome)}`);
        const line = outcome.texts
          .join('\n')
          .split('\n')
          .find((l) => l.startsWith('exec: {'));
        if (!line) throw new Error(`the probe printed nothing: ${outcome.texts.join('\n')}`);
        return JSON.parse(line.slice('exec: '.length)) as Record<string, string>;
      }

      function expectNothingChanged(results: Record<string, string>): void {
        expect(results[CONTROL], 'the probe ran with its group folder writable').toBe('CHANGED');
        const changed = Object.entries(results).filter(
          ([name, r]) => name !== CONTROL && !r.startsWith('BLOCKED'),
        );
        expect(changed, JSON.stringify(changed)).toEqual([]);
      }

      it('keeps a group’s own container.json, and the host still serves it as the user wrote it', async () => {
        const results = await agentTriesToRewrite('keeper', '@Keeper rewrite your config');
        expectNothingChanged(results);
        expect(fs.readFileSync(path.join(groupDir('keeper'), 'container.json'), 'utf8')).toBe(USER_CONFIG);
        const keeper = (await client.listGroups()).find((g) => g.folder === 'keeper');
        expect(keeper).toMatchObject({
          trigger: '^@Keeper\\b',
          provider: { id: 'mock', source: 'AGENT_PROVIDER' },
        });
        expect(keeper?.configError).toBeUndefined();
      });

      it('pins a container.json the user replaced on the host (as vim or sed -i save): the live sandbox is closed at once', async () => {
        const keeperSandboxes = async () =>
          (await target.runtime?.list({ [SANDBOX_LABELS.group]: 'keeper' }))?.filter((s) => s.running) ?? [];
        await agentTriesToRewrite('keeper', '@Keeper are you there');
        expect(await keeperSandboxes()).toHaveLength(1);
        // Saved unchanged, by renaming a new file over it: the running sandbox's pin still holds the old file.
        const file = path.join(groupDir('keeper'), 'container.json');
        fs.writeFileSync(`${file}.swp`, USER_CONFIG);
        fs.renameSync(`${file}.swp`, file);
        await until(async () => (await keeperSandboxes()).length === 0, 10_000);
        const results = await agentTriesToRewrite('keeper', '@Keeper rewrite your config again');
        expectNothingChanged(results);
        expect(fs.readFileSync(file, 'utf8')).toBe(USER_CONFIG);
      });

      it('gives a group without one the defaults, and the agent cannot create its own', async () => {
        expect(fs.existsSync(path.join(groupDir('fresh'), 'container.json'))).toBe(false);
        const results = await agentTriesToRewrite('fresh', '@Andy create a config');
        expectNothingChanged(results);
        expect(fs.readFileSync(path.join(groupDir('fresh'), 'container.json'), 'utf8')).toBe('{}\n');
        const fresh = (await client.listGroups()).find((g) => g.folder === 'fresh');
        expect(fresh).toMatchObject({ trigger: '@Andy', provider: { id: 'mock', source: 'AGENT_PROVIDER' } });
        expect(fresh?.configError).toBeUndefined();
      });
    },
  );
}
