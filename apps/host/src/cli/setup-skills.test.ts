import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFakeTelegramServer, type FakeTelegramServer } from '@nanoclaw/channel-telegram/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostConfig, loadConfig } from '../config.js';
import { resolveRuntimes, shellRuntimes } from '../host/test-runtimes.js';
import { startTestHost, until } from '../host/test-utils/e2e-host.js';
import type { HostStatus } from '../host-api.js';
import { parseSkillFrontMatter } from '../skills/skill-files.js';
import { type CliRun, runCli } from './test-utils.js';

/**
 * The setup skills (`.agents/skills/<name>/SKILL.md`, which Codex reads; `.claude/skills/<name>/SKILL.md` points
 * to them) are run as written: every `nanoclaw …` line of their fenced shell blocks, on a fresh project with a
 * real host (mock agent, a loopback Telegram) in each sandbox runtime, then `nanoclaw send --wait` gets an answer.
 */
const targets = await resolveRuntimes(shellRuntimes());
const REPO = path.resolve(import.meta.dirname, '../../../..');
const SETUP_SKILLS = ['setup', 'add-channel', 'add-group', 'customize'] as const;

/** What this test puts in place of each placeholder; a skill's own values first (`<folder>`: the group it ends in). */
const PLACEHOLDERS: Record<string, string> = {
  '<your-user-id>': '1001',
  '<your-name>': 'Ann',
  '<admin-user-id>': '1002',
  '<admin-name>': 'Bo',
  '<member-user-id>': '1003',
  '<chat-id>': '-1001234567890',
  '<group-name>': 'Family',
  '<trigger-word>': 'Andy',
  '<task-prompt>': 'Post the weather',
  '<time-zone>': 'Europe/Lisbon',
  '<folder>': 'family',
};
const FOLDER_OF: Record<(typeof SETUP_SKILLS)[number], string> = {
  setup: 'family',
  'add-channel': 'family',
  'add-group': 'family',
  customize: 'main',
};
/** What only makes sense in a terminal or runs for good: never in the blocks the test (or an agent) runs. */
const NOT_IN_BLOCKS = /^nanoclaw (chat|start|service)\b/;
/** Lines that report problems by their exit code (1) as well as their output: the rest must exit 0. */
const MAY_FAIL = /^nanoclaw doctor\b/;

/** Every `nanoclaw …` line of the skill's fenced sh/bash blocks, as written. */
function nanoclawLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)) {
    for (const line of (block[1] ?? '').split('\n'))
      if (line.startsWith('nanoclaw ')) lines.push(line.trim());
  }
  return lines;
}

/** A command line split as a POSIX shell splits plain words and quotes; refuses what needs a real shell. */
function shellWords(line: string): string[] {
  if (/[|;&<>`$\\]/.test(line)) throw new Error(`not a plain command (pipes, redirects, variables): ${line}`);
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g))
    words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

function substitute(line: string, values: Record<string, string>): string {
  return line.replace(/<[a-z-]+>/g, (placeholder) => {
    const value = values[placeholder];
    if (value === undefined)
      throw new Error(`no value for ${placeholder} in ${line}: add it to PLACEHOLDERS`);
    return value;
  });
}

function skillFixture(root: string): string {
  const dir = path.join(root, 'skills-src', 'dinner-planner');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'SKILL.md'),
    '---\nname: dinner-planner\ndescription: Plan the week\n---\n',
  );
  return dir;
}

describe('the setup skills, run as written', { timeout: 120_000 }, () => {
  let telegram: FakeTelegramServer;
  beforeAll(async () => {
    telegram = await createFakeTelegramServer();
  });
  afterAll(async () => {
    await telegram.close();
  });

  for (const [skill, target] of SETUP_SKILLS.flatMap((s) => targets.map((t) => [s, t] as const))) {
    it.runIf(target.runtime)(
      `${skill} (${target.name}): every nanoclaw line succeeds on a fresh project, then send --wait gets the agent's answer`,
      async () => {
        const runtime = target.runtime as NonNullable<typeof target.runtime>;
        const markdown = fs.readFileSync(path.join(REPO, '.agents/skills', skill, 'SKILL.md'), 'utf8');
        const lines = nanoclawLines(markdown);
        expect(lines.length).toBeGreaterThan(2);
        expect(lines.filter((line) => NOT_IN_BLOCKS.test(line))).toEqual([]);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `nanoclaw-skill-${skill}-`));
        fs.chmodSync(root, 0o755); // the sandbox user passes through to the group folders
        const env = { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.url };
        const { host } = await startTestHost(root, runtime, env);
        try {
          const config = cliConfig(root, host.url, env);
          const values = {
            ...PLACEHOLDERS,
            '<folder>': FOLDER_OF[skill],
            '<skill-folder>': skillFixture(root),
          };
          for (const line of lines) {
            const run = await nanoclaw(config, root, shellWords(substitute(line, values)).slice(1));
            expect({
              line,
              code: MAY_FAIL.test(line) && run.code === 1 ? 0 : run.code,
              stderr: run.stderr,
            }).toEqual({ line, code: 0, stderr: expect.not.stringMatching(/^nanoclaw: /) });
            if (line.includes(' --json')) expect(() => JSON.parse(run.stdout)).not.toThrow();
            if (line.startsWith('nanoclaw send '))
              expect(run.stdout).toMatch(/^Mock reply to: (@Andy )?hello\n$/);
          }
          // Outside the main group the agent answers when called by its trigger (the default, `@Andy`).
          const text = FOLDER_OF[skill] === 'main' ? 'hello' : '@Andy hello';
          const answer = await nanoclaw(config, root, ['send', '--group', FOLDER_OF[skill], '--wait', text]);
          expect(answer).toEqual({ code: 0, stdout: `Mock reply to: ${text}\n`, stderr: '' });
          // The loopback Telegram the skills bind chats of is connected (it may take a moment after start).
          await until(async () => {
            const status = JSON.parse(
              (await nanoclaw(config, root, ['status', '--json'])).stdout,
            ) as HostStatus;
            return status.channels.some((channel) => channel.channel === 'telegram' && channel.connected);
          });
        } finally {
          await host.stop();
          fs.rmSync(root, { recursive: true, force: true });
        }
      },
    );
  }

  it('the Claude Code skills point to the shared ones, with the same name and description', () => {
    for (const skill of SETUP_SKILLS) {
      const shared = path.join(REPO, '.agents/skills', skill, 'SKILL.md');
      const claude = path.join(REPO, '.claude/skills', skill, 'SKILL.md');
      const pointer = fs.readFileSync(claude, 'utf8');
      expect(parseSkillFrontMatter(pointer, claude)).toEqual(
        parseSkillFrontMatter(fs.readFileSync(shared, 'utf8'), shared),
      );
      expect(parseSkillFrontMatter(pointer, claude).name).toBe(skill);
      expect(pointer).toContain(`(../../../.agents/skills/${skill}/SKILL.md)`);
    }
  });

  it('the agent skills shipped in groups/global/skills are valid, named after their folder', () => {
    const dir = path.join(REPO, 'groups/global/skills');
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(['read-web-page', 'repo-caretaker', 'scheduling']);
    for (const name of names) {
      const file = path.join(dir, name, 'SKILL.md');
      expect(parseSkillFrontMatter(fs.readFileSync(file, 'utf8'), file).name).toBe(name);
    }
  });
});

function cliConfig(root: string, url: string, env: Record<string, string>): HostConfig {
  return loadConfig({
    env: {
      AGENT_PROVIDER: 'mock',
      LOG_LEVEL: 'silent',
      TZ: 'UTC',
      ...env,
      NANOCLAW_HTTP_PORT: new URL(url).port,
    },
    cwd: root,
    envFile: path.join(root, '.env'),
  });
}

function nanoclaw(config: HostConfig, root: string, args: string[]): Promise<CliRun> {
  return runCli(args, { loadConfig: () => config, env: {}, homeDir: root });
}
