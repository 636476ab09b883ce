import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  FakeAnthropicServer,
  FakeChatCompletionsServer,
  FakeResponsesServer,
  FakeToolResult,
} from '@nanoclaw/testing';
import { describe, expect, it } from 'vitest';
import type { HostClient } from '../cli/index.js';
import { resolveRuntimes, shellRuntimes } from './test-runtimes.js';
import { ask, useSuiteProject, writeGroupSettings } from './test-utils/e2e-host.js';
import { startFakeModels } from './test-utils/fake-models.js';

/**
 * The agents' own tools, end to end: the real Codex, Claude Code and OpenCode binaries in each sandbox runtime,
 * behind the host, with their models scripted by the loopback fakes. Each model calls its runtime's shell and
 * file tools as a real model would; the test reads back what the runtime sent to the model as the tool result
 * and checks the group folder from the host. Every group uses the default container.json (no `network` key).
 */
const targets = await resolveRuntimes(shellRuntimes());

const GROUPS = {
  codex: { provider: 'codex', model: 'fake-model' },
  claude: { provider: 'claude', model: 'claude-fake' },
  opencode: { provider: 'opencode', model: 'nanoclaw/fake-model' },
} as const;

/** The acceptance command of issue 13: git, python3 and rg in the group folder, through a login bash. */
function workCommand(groupPath: string): string {
  return [
    `bash -lc 'cd ${groupPath} && git init -q && echo hi > a.txt && git add a.txt`,
    'git -c user.email=a@b -c user.name=a commit -qm one',
    `python3 -c "print(6*7)" && rg -c hi a.txt'`,
  ].join(' && ');
}

for (const target of targets) {
  describe.skipIf(!target.runtime)(
    `agent tools through the host (${target.name})`,
    { timeout: 240_000 },
    () => {
      let root: string;
      let responses: FakeResponsesServer;
      let anthropic: FakeAnthropicServer;
      let chat: FakeChatCompletionsServer;
      let client: HostClient;

      const groupDir = (folder: string) => path.join(root, 'groups', folder);
      // Where the agent sees its group folder: the unisolated process runtime runs on the host's own paths.
      const agentGroupPath = (folder: string) =>
        target.name === 'process' ? groupDir(folder) : '/workspace/group';

      useSuiteProject(
        `nanoclaw-agent-tools-${target.name}`,
        target.runtime,
        async (project, runtime) => {
          root = project.root;
          const models = project.closing(await startFakeModels());
          ({ anthropic, responses, chat } = models);
          for (const [folder, config] of Object.entries(GROUPS)) writeGroupSettings(root, folder, config);
          ({ client } = await project.startHost(runtime, models.env));
          for (const folder of Object.keys(GROUPS)) await client.addGroup({ folder, name: folder });
        },
        180_000,
      );

      it('Codex: exec_command runs git, python3 and rg in the group folder; apply_patch edits a file', async () => {
        const command = workCommand(agentGroupPath('codex'));
        responses.on('commit a file', { exec: command, text: 'Committed.' });
        const work = await ask(client, 'codex', '@Andy commit a file', 180_000);
        const ran = resultOf(responses.toolResults(), (r) => r.input.cmd === command, work.outcome);
        expect(ran, ran.output).toMatchObject({ exitCode: 0, commandOutput: '42\n1\n' });
        expect(work.outcome).toEqual({ kind: 'reply', texts: ['Committed.'] });
        expect(hostGitLog(groupDir('codex'))).toBe('one\n');

        responses.on('patch the file', {
          applyPatch: '*** Begin Patch\n*** Update File: a.txt\n@@\n-hi\n+hi from apply_patch\n*** End Patch',
          text: 'Patched.',
        });
        const patch = await ask(client, 'codex', '@Andy patch the file', 180_000);
        const patched = resultOf(
          responses.toolResults(),
          (r) => String(r.input.cmd).startsWith('apply_patch'),
          patch.outcome,
        );
        expect(patched, patched.output).toMatchObject({
          exitCode: 0,
          commandOutput: 'Success. Updated the following files:\nM a.txt\n',
        });
        expect(patch.outcome).toEqual({ kind: 'reply', texts: ['Patched.'] });
        expect(fs.readFileSync(path.join(groupDir('codex'), 'a.txt'), 'utf8')).toBe('hi from apply_patch\n');
      });

      it('Claude: Bash runs the same work, Write creates a file and Edit changes it', async () => {
        const dir = agentGroupPath('claude');
        const notes = path.posix.join(dir, 'notes.md');
        anthropic.on('work on the notes', {
          command: workCommand(dir),
          // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
          then: {
            write: { file_path: notes, content: 'status: draft\n' },
            // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
            then: {
              edit: { file_path: notes, old_string: 'draft', new_string: 'final' },
              text: 'Notes done.',
            },
          },
        });
        const { outcome } = await ask(client, 'claude', '@Andy work on the notes', 180_000);
        const results = anthropic.toolResults();
        const bash = resultOf(results, (r) => r.name === 'Bash', outcome);
        expect(bash, bash.output).toMatchObject({ isError: false });
        expect(bash.output).toMatch(/^42\n1(\n|$)/);
        const write = resultOf(results, (r) => r.name === 'Write', outcome);
        expect(write, write.output).toMatchObject({ isError: false });
        expect(write.output).toContain(`File created successfully at: ${notes}`);
        const edit = resultOf(results, (r) => r.name === 'Edit', outcome);
        expect(edit, edit.output).toMatchObject({ isError: false });
        expect(edit.output).toContain(`The file ${notes} has been updated successfully.`);
        expect(outcome).toEqual({ kind: 'reply', texts: ['Notes done.'] });
        expect(fs.readFileSync(path.join(groupDir('claude'), 'notes.md'), 'utf8')).toBe('status: final\n');
        expect(hostGitLog(groupDir('claude'))).toBe('one\n');
      });

      it('OpenCode: its bash tool runs a command and the output reaches the model', async () => {
        const command = `cd ${agentGroupPath('opencode')} && echo from-opencode > o.txt && python3 -c "print(6*7)" && cat o.txt`;
        chat.on('run a command', { command, text: 'Ran it.' });
        const { outcome } = await ask(client, 'opencode', '@Andy run a command', 180_000);
        const bash = resultOf(chat.toolResults(), (r) => r.name === 'bash', outcome);
        expect(bash.output).toMatch(/^42\nfrom-opencode\n/);
        expect(outcome).toEqual({ kind: 'reply', texts: ['Ran it.'] });
        expect(fs.readFileSync(path.join(groupDir('opencode'), 'o.txt'), 'utf8')).toBe('from-opencode\n');
      });
    },
  );
}

/** The one result that matches, or a failure that shows what the user and the model got. */
function resultOf<R extends FakeToolResult>(
  results: R[],
  match: (result: R) => boolean,
  outcome: unknown,
): R {
  const found = results.filter(match);
  const seen = `the user got ${JSON.stringify(outcome)}; tool results: ${JSON.stringify(results, null, 2)}`;
  expect(found, seen).toHaveLength(1);
  return found[0] as R;
}

/**
 * The agent's git history, read on the host the way the README says: git refuses a repository the sandbox user
 * owns ("detected dubious ownership"), and marking it safe would let its `.git/config` run commands as the host
 * user, so the test reads a copy of `.git` without its config and hooks.
 */
function hostGitLog(dir: string): string {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1' };
  const git = (...args: string[]) => execFileSync('git', args, { env, encoding: 'utf8', stdio: 'pipe' });
  if (fs.statSync(path.join(dir, '.git')).uid !== process.getuid?.()) {
    expect(() => git('-C', dir, 'log', '--format=%s')).toThrow(/dubious ownership/);
  }
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'nanoclaw-review-'));
  try {
    fs.cpSync(path.join(dir, '.git'), path.join(copy, 'git'), { recursive: true, verbatimSymlinks: true });
    fs.rmSync(path.join(copy, 'git', 'config'), { force: true });
    fs.rmSync(path.join(copy, 'git', 'hooks'), { recursive: true, force: true });
    return git(`--git-dir=${path.join(copy, 'git')}`, 'log', '--format=%s');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}
