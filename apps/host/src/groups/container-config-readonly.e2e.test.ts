import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@nanoclaw/container-runner/test';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { resolveRuntimes, sandboxRuntimes } from '../host/test-runtimes.js';
import { ask, until, useSuiteProject } from '../host/test-utils/e2e-host.js';

/**
 * The agent cannot change its own configuration, seen from the host: a group's settings live in
 * `groups/<folder>.container.json`, beside the folder its sandbox mounts, out of its reach. The agent (the mock, in a real
 * bwrap or docker sandbox) runs a program that tries to write them every way a program can and plants a
 * container.json in its own folder (where settings used to be); afterwards the settings file and what
 * `nanoclaw groups list` shows are what the user had, for a group with settings and for one without.
 */
const PROBE = path.join(REPO_ROOT, 'packages/container-runner/src/__fixtures__/config-probe.cjs');
const CONTROL = 'control: plant a container.json in its own folder';
const USER_CONFIG = '{ "trigger": "^@Keeper\\\\b" }\n';

const targets = await resolveRuntimes(sandboxRuntimes(), { isolatedOnly: true }); // no isolation there: the agent is the host user

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `the agent cannot change its settings (${target.name})`,
    { timeout: 180_000 },
    () => {
      let root: string;
      let client: HostClient;
      const groupDir = (folder: string) => path.join(root, 'groups', folder);
      const settingsFile = (folder: string) => path.join(root, 'groups', `${folder}.container.json`);

      useSuiteProject(
        `nanoclaw-config-readonly-${target.name}`,
        target.runtime,
        async (project, runtime) => {
          root = project.root;
          fs.mkdirSync(groupDir('keeper'), { recursive: true });
          fs.writeFileSync(settingsFile('keeper'), USER_CONFIG);
          ({ client } = await project.startHost(runtime));
          await client.addGroup({ folder: 'keeper', name: 'Has settings' });
          await client.addGroup({ folder: 'fresh', name: 'No settings' });
        },
        180_000,
      );

      /** The agent copies the probe into its folder and runs it; returns what each attempt did. */
      async function agentTriesToRewrite(folder: string, trigger: string): Promise<Record<string, string>> {
        fs.copyFileSync(PROBE, path.join(groupDir(folder), 'config-probe.cjs'));
        const { outcome } = await ask(
          client,
          folder,
          `${trigger}\n/exec ["node", "config-probe.cjs", "${folder}"]`,
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

      function expectNothingReached(results: Record<string, string>): void {
        expect(results[CONTROL], 'the probe ran with its group folder writable').toBe('CHANGED');
        const changed = Object.entries(results).filter(
          ([name, r]) => name !== CONTROL && !r.startsWith('BLOCKED'),
        );
        expect(changed, JSON.stringify(changed)).toEqual([]);
      }

      it('keeps a group’s settings as the user wrote them, and the host serves them', async () => {
        const results = await agentTriesToRewrite('keeper', '@Keeper rewrite your config');
        expectNothingReached(results);
        expect(fs.readFileSync(settingsFile('keeper'), 'utf8')).toBe(USER_CONFIG);
        const keeper = (await client.listGroups()).find((g) => g.folder === 'keeper');
        expect(keeper).toMatchObject({
          trigger: '^@Keeper\\b',
          provider: { id: 'mock', source: 'AGENT_PROVIDER' },
        });
        expect(keeper?.configError).toBeUndefined();
        // The container.json it planted in its own folder is its own file, and the host does not read it.
        expect(fs.readFileSync(path.join(groupDir('keeper'), 'container.json'), 'utf8')).toContain('pwned');
      });

      it('gives a group without settings the defaults, and the agent cannot create them', async () => {
        const results = await agentTriesToRewrite('fresh', '@Andy create a config');
        expectNothingReached(results);
        expect(fs.existsSync(settingsFile('fresh'))).toBe(false);
        const fresh = (await client.listGroups()).find((g) => g.folder === 'fresh');
        expect(fresh).toMatchObject({ trigger: '@Andy', provider: { id: 'mock', source: 'AGENT_PROVIDER' } });
        expect(fresh?.configError).toBeUndefined();
      });

      it('uses settings the user replaces on the host (as vim or sed -i save them) at the next message', async () => {
        fs.writeFileSync(`${settingsFile('keeper')}.swp`, '{ "trigger": "^@Keeper2\\\\b" }\n');
        fs.renameSync(`${settingsFile('keeper')}.swp`, settingsFile('keeper'));
        await until(
          async () =>
            (await client.listGroups()).find((g) => g.folder === 'keeper')?.trigger === '^@Keeper2\\b',
          10_000,
        );
        const results = await agentTriesToRewrite('keeper', '@Keeper2 rewrite it again');
        expectNothingReached(results);
      });
    },
  );
}
