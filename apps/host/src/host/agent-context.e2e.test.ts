import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import type { RunningHost } from '../start-host.js';
import { resolveRuntimes, shellRuntimes } from './test-runtimes.js';
import { ask, type SuiteProject, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';
import { type FakeModels, startFakeModels } from './test-utils/fake-models.js';

/**
 * Memory and skills, end to end (issue 17): the real Codex, Claude Code and OpenCode in each sandbox runtime, with
 * default settings, against the loopback fakes. What each runtime sends its model must carry the global memory,
 * the group's memory, the fragment of a configured MCP server and a global skill's name and description; a group
 * with `"skills": []` gets no skill; after a restart without the MCP server its fragment is gone, while the
 * agent's own edit to its `AGENTS.md` is still there.
 */
const targets = await resolveRuntimes(shellRuntimes());

const GLOBAL_MEMORY = 'The household calls the cat Mirabelle-4471.';
const SKILL = { name: 'weather-lookup', description: 'Looks up the forecast for a town 8813' };
const CLAUDE_MD = 'From the group CLAUDE.md: water the ferns 2208.';
const FRAGMENT = 'The notes server keeps shopping lists 5120.';
const PROVIDERS = {
  codex: { provider: 'codex', model: 'fake-model' },
  claude: { provider: 'claude', model: 'claude-fake' },
  opencode: { provider: 'opencode', model: 'nanoclaw/fake-model' },
} as const;
type Provider = keyof typeof PROVIDERS;
const NOTES_SERVER = { notes: { command: 'true', instructions: FRAGMENT } };

for (const target of targets) {
  describe.skipIf(!target.runtime)(`memory and skills (${target.name})`, { timeout: 300_000 }, () => {
    let project: SuiteProject;
    let models: FakeModels;
    let client: HostClient;
    let host: RunningHost;
    let runtime: ContainerRuntime;
    const groupDir = (folder: string) => path.join(project.root, 'groups', folder);
    const agentGroupPath = (folder: string) =>
      target.name === 'process' ? groupDir(folder) : '/workspace/group';

    useSuiteProject(
      `nanoclaw-agent-context-${target.name}`,
      target.runtime,
      async (suite, resolved) => {
        project = suite;
        runtime = resolved;
        models = suite.closing(await startFakeModels());
        writeGlobal(suite.root);
        for (const [folder, config] of Object.entries(PROVIDERS)) {
          writeGroupSettings(suite.root, folder, { ...config, mcpServers: NOTES_SERVER });
          fs.writeFileSync(path.join(groupDir(folder), 'AGENTS.md'), `# ${folder}\n${groupMemory(folder)}\n`);
        }
        for (const [provider, config] of Object.entries(PROVIDERS)) {
          writeGroupSettings(suite.root, `bare-${provider}`, { ...config, skills: [] });
        }
        writeGroupSettings(suite.root, 'typo', { ...PROVIDERS.codex, skills: ['wether-lookup'] });
        // A group folder's CLAUDE.md (as NanoClaw groups had) still reaches Claude.
        fs.writeFileSync(path.join(groupDir('claude'), 'CLAUDE.md'), `${CLAUDE_MD}\n`);
        ({ client, host } = await suite.startHost(runtime, models.env));
        const folders = [
          ...Object.keys(PROVIDERS),
          ...Object.keys(PROVIDERS).map((p) => `bare-${p}`),
          'typo',
        ];
        for (const folder of folders) await client.addGroup({ folder, name: folder });
      },
      180_000,
    );

    for (const provider of Object.keys(PROVIDERS) as Provider[]) {
      it(`${provider}: the model sees the global and group memory, the MCP fragment and the global skill`, async () => {
        const prompt = `hello ${provider} ${target.name}`;
        const { outcome } = await ask(client, provider, `@Andy ${prompt}`, 180_000);
        expect(outcome.kind, JSON.stringify(outcome)).toBe('reply');
        const sent = sentWith(models, provider, prompt);
        expect(sent).toContain(GLOBAL_MEMORY);
        expect(sent).toContain(groupMemory(provider));
        expect(sent).toContain(FRAGMENT);
        expect(sent).toContain(SKILL.name);
        expect(sent).toContain(SKILL.description);
        if (provider === 'claude') expect(sent).toContain(CLAUDE_MD);
      });
    }

    for (const provider of Object.keys(PROVIDERS) as Provider[]) {
      it(`${provider}: a group whose setting is "skills": [] gets no skill, but the memory`, async () => {
        const prompt = `hello bare ${provider} ${target.name}`;
        const { outcome } = await ask(client, `bare-${provider}`, `@Andy ${prompt}`, 180_000);
        expect(outcome.kind, JSON.stringify(outcome)).toBe('reply');
        const sent = sentWith(models, provider, prompt);
        expect(sent).toContain(GLOBAL_MEMORY);
        expect(sent).not.toContain(SKILL.description);
      });
    }

    // A process sandbox runs as the host's own user: only bwrap and docker can hold the agent to read-only.
    const sandboxed = target.name === 'process' ? () => undefined : it;
    sandboxed(
      'the placed skills and memory are read-only to the agent; its own AGENTS.md stays writable',
      async () => {
        const skill = `$HOME/.codex/skills/${SKILL.name}/SKILL.md`;
        const command = [
          `grep -c '${SKILL.description}' ${skill}`,
          `(echo x >> ${skill} && echo skill-writable || echo skill-read-only)`,
          '(echo x >> $HOME/.codex/AGENTS.md && echo memory-writable || echo memory-read-only)',
          '(echo "- tried the skill" >> /workspace/group/AGENTS.md && echo own-writable)',
        ].join('; ');
        models.responses.on(`try the skill ${target.name}`, { exec: command, text: 'Tried.' });
        const { outcome } = await ask(client, 'codex', `@Andy try the skill ${target.name}`, 180_000);
        expect(outcome, JSON.stringify(outcome)).toEqual({ kind: 'reply', texts: ['Tried.'] });
        const ran = models.responses.toolResults().filter((r) => r.input.cmd === command);
        expect(ran).toHaveLength(1);
        const lines = ran[0]?.commandOutput.split('\n') ?? [];
        expect(lines[0]).toBe('1');
        expect(lines.filter((line) => /^[a-z-]+$/.test(line))).toEqual([
          'skill-read-only',
          'memory-read-only',
          'own-writable',
        ]);
      },
    );

    it('a skill name that exists nowhere is answered with an error naming the setting', async () => {
      const { outcome } = await ask(client, 'typo', '@Andy hello', 60_000);
      expect(outcome).toMatchObject({ kind: 'error' });
      expect(JSON.stringify(outcome)).toContain(
        'groups/typo.container.json: skills: no skill \\"wether-lookup\\"',
      );
    });

    it('after a restart without the MCP server its fragment is gone; the agent’s own memory edit stays', async () => {
      for (const provider of Object.keys(PROVIDERS) as Provider[]) {
        const note = `Remember: ${provider} likes tea 3390.`;
        const command = `echo '${note}' >> ${agentGroupPath(provider)}/AGENTS.md`;
        script(models, provider, `note it ${target.name}`, command);
        const { outcome } = await ask(client, provider, `@Andy note it ${target.name}`, 180_000);
        expect(outcome, JSON.stringify(outcome)).toEqual({ kind: 'reply', texts: ['Noted.'] });
        expect(fs.readFileSync(path.join(groupDir(provider), 'AGENTS.md'), 'utf8')).toContain(note);
        writeGroupSettings(project.root, provider, PROVIDERS[provider]);
      }
      await host.stop();
      ({ client, host } = await project.startHost(runtime, models.env));
      for (const provider of Object.keys(PROVIDERS) as Provider[]) {
        const prompt = `after restart ${provider} ${target.name}`;
        const { outcome } = await ask(client, provider, `@Andy ${prompt}`, 180_000);
        expect(outcome.kind, JSON.stringify(outcome)).toBe('reply');
        // The resumed conversation still holds the memory of earlier starts; the latest composed memory (from
        // its global memory on) carries the agent's note and no fragment of the removed server.
        const sent = sentWith(models, provider, prompt);
        const latest = sent.slice(sent.lastIndexOf(GLOBAL_MEMORY));
        expect(latest).toContain(`Remember: ${provider} likes tea 3390.`);
        expect(latest).toContain(groupMemory(provider));
        expect(latest).not.toContain(FRAGMENT);
      }
    });
  });
}

function groupMemory(folder: string): string {
  return `The ${folder} group plans the garden 62${folder.length}.`;
}

/** `groups/global/AGENTS.md` and one global skill. */
function writeGlobal(root: string): void {
  const global = path.join(root, 'groups', 'global');
  fs.mkdirSync(path.join(global, 'skills', SKILL.name), { recursive: true });
  fs.writeFileSync(path.join(global, 'AGENTS.md'), `# Shared memory\n\n${GLOBAL_MEMORY}\n`);
  fs.writeFileSync(
    path.join(global, 'skills', SKILL.name, 'SKILL.md'),
    `---\nname: ${SKILL.name}\ndescription: ${SKILL.description}\n---\n\nRun \`curl wttr.in/<town>\`.\n`,
  );
}

/** Everything the provider's fake received in the agent requests that carry `prompt`, as one text. */
function sentWith(models: FakeModels, provider: Provider, prompt: string): string {
  const requests: ReadonlyArray<{ body: unknown }> =
    provider === 'claude'
      ? models.anthropic.agentRequests()
      : provider === 'codex'
        ? models.responses.requests.filter((request) => request.kind === 'turn')
        : models.chat.agentRequests();
  const bodies = requests
    .map((request) => JSON.stringify(request.body))
    .filter((body) => body.includes(prompt));
  expect(bodies.length, `no ${provider} request carried "${prompt}"`).toBeGreaterThan(0);
  return bodies.join('\n');
}

/** The provider's model runs `command` in its shell tool, then answers "Noted.". */
function script(models: FakeModels, provider: Provider, prompt: string, command: string): void {
  if (provider === 'codex') models.responses.on(prompt, { exec: command, text: 'Noted.' });
  if (provider === 'claude') models.anthropic.on(prompt, { command, text: 'Noted.' });
  if (provider === 'opencode') models.chat.on(prompt, { command, text: 'Noted.' });
}
