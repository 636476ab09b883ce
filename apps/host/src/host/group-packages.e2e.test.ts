import { createFakeResponsesServer, type FakeResponsesServer } from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { resolveRuntimes, shellRuntimes } from './test-runtimes.js';
import { ask, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';

/**
 * container.json "packages": a group that asks for sqlite3 (Debian) and semver (npm) gets them in its sandbox,
 * built once as a cached variant of the agent userland; a group that does not ask has neither. The agent is the
 * real Codex, scripted by the loopback Responses fake to run the commands in its login shell. bwrap and docker
 * only: the process runtime runs on the host and installs nothing.
 */
const targets = await resolveRuntimes(shellRuntimes(), { isolatedOnly: true });

const PROBE = `bash -lc 'for tool in sqlite3 semver; do command -v "$tool" >/dev/null || echo "no $tool"; done; sqlite3 --version 2>/dev/null | cut -d" " -f1; semver 1.2.3 2>/dev/null; true'`;

for (const target of targets) {
  describe.skipIf(!target.runtime)(`group packages (${target.name})`, { timeout: 15 * 60_000 }, () => {
    let fake: FakeResponsesServer;
    let client: HostClient;

    useSuiteProject(`nanoclaw-packages-${target.name}`, target.runtime, async (project, runtime) => {
      fake = project.closing(await createFakeResponsesServer());
      const groups = {
        tools: { provider: 'codex', model: 'fake-model', packages: { apt: ['sqlite3'], npm: ['semver'] } },
        plain: { provider: 'codex', model: 'fake-model' },
        typo: { provider: 'codex', model: 'fake-model', packages: { apt: ['nanoclaw-no-such-package'] } },
      };
      for (const [folder, config] of Object.entries(groups)) writeGroupSettings(project.root, folder, config);
      ({ client } = await project.startHost(runtime, {
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-real',
        CODEX_MAX_RETRIES: '0',
      }));
      for (const folder of Object.keys(groups)) await client.addGroup({ folder, name: folder });
    });

    it('the group that asks for sqlite3 and semver runs both; the other group has neither', async () => {
      fake.on('which tools', { exec: PROBE, text: 'Checked.' });
      // The first message of the packaged group may build its variant (about two minutes, once per machine).
      const tools = await ask(client, 'tools', '@Andy which tools', 12 * 60_000);
      const plain = await ask(client, 'plain', '@Andy which tools', 3 * 60_000);
      const results = fake.toolResults().filter((result) => result.input.cmd === PROBE);
      const seen = JSON.stringify({ tools: tools.outcome, plain: plain.outcome, results }, null, 2);
      expect(results, seen).toHaveLength(2);
      const [withPackages, without] = results;
      expect(withPackages, seen).toMatchObject({ exitCode: 0, commandOutput: '3.40.1\n1.2.3\n' });
      expect(without, seen).toMatchObject({ exitCode: 0, commandOutput: 'no sqlite3\nno semver\n' });
      expect(tools.outcome).toEqual({ kind: 'reply', texts: ['Checked.'] });
    });

    // The build fails before any runtime is involved: once (bwrap) is enough.
    if (target.name === 'bwrap') {
      it('answers a package Debian does not have with an error naming it, once, not after retries', async () => {
        const typo = async () => {
          const { outcome } = await ask(client, 'typo', '@Andy hello', 5 * 60_000);
          expect(outcome.kind).toBe('error');
          return outcome.kind === 'error' ? outcome.message : '';
        };
        const message = await typo();
        expect(message).toContain('groups/typo.container.json "packages"');
        expect(message).toContain('Debian has no package "nanoclaw-no-such-package"');
        // The answer stands until the package list changes: the second message does not build again.
        const started = Date.now();
        expect(await typo()).toBe(message);
        expect(Date.now() - started).toBeLessThan(10_000);
      });
    }
  });
}
