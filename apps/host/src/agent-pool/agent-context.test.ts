import fs from 'node:fs';
import path from 'node:path';
import { type ContainerConfig, containerConfigSchema, silentLogger } from '@nanoclaw/core';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../host/test-utils/cleanups.js';
import { composeMemory, placeAgentContext } from './agent-context.js';

const cleanups = useCleanups();
const CODEX = { memoryFile: 'AGENTS.md', skillsDir: 'skills' };

/** A groups folder with global and group memory and skills, and a session home as the host keeps it. */
function world() {
  const root = cleanups.scratch('nanoclaw-context');
  const groupsDir = path.join(root, 'groups');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(groupsDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(groupsDir, rel), text);
  };
  write('global/AGENTS.md', '# Shared\nThe user is Ada.\n');
  write('family/AGENTS.md', '# Family\nBirthdays are in notes.md.\n');
  write('global/skills/pdf/SKILL.md', '---\nname: pdf\ndescription: Read PDF files\n---\nUse pdftotext.\n');
  write('global/skills/pdf/scripts/run.sh', '#!/bin/sh\necho run\n');
  write('family/skills/recipes/SKILL.md', '---\nname: recipes\ndescription: Family recipes\n---\n');
  const sessionDir = path.join(root, 'data', 'sessions', 's1');
  const providerHome = path.join(sessionDir, 'home', '.codex');
  fs.mkdirSync(providerHome, { recursive: true });
  const place = (settings: Record<string, unknown> = {}) =>
    placeAgentContext({
      source: { groupsDir, folder: 'family' },
      config: containerConfigSchema.parse(settings) as ContainerConfig,
      providerHome,
      sessionDir,
      places: CODEX,
      logger: silentLogger,
    });
  const home = (rel: string) => path.join(providerHome, rel);
  return { groupsDir, providerHome, place, home, write };
}

describe('composeMemory', () => {
  it('puts global memory first, then the group memory, the tool fragments and MCP servers with instructions', () => {
    const text = composeMemory({
      globalMemory: 'GLOBAL\n',
      groupMemory: 'GROUP\n',
      mcpServers: containerConfigSchema.parse({
        mcpServers: {
          notes: { command: 'notes', instructions: 'Notes live in the notes server.' },
          plain: { command: 'plain' },
        },
      }).mcpServers,
    });
    expect(text.indexOf('GLOBAL')).toBeLessThan(text.indexOf('GROUP'));
    expect(text).toContain('`send_message`');
    expect(text).toContain('`schedule_task`');
    expect(text).toContain('`ask_user_question`');
    expect(text).toContain('`register_group`');
    expect(text).toContain('## MCP server `notes`\n\nNotes live in the notes server.');
    expect(text).not.toContain('`plain`');
  });
});

describe('placeAgentContext', () => {
  it('writes the composed memory and copies every global and group skill read-only', async () => {
    const w = world();
    expect(await w.place()).toEqual({ skills: ['pdf', 'recipes'] });
    const memory = fs.readFileSync(w.home('AGENTS.md'), 'utf8');
    expect(memory).toContain('The user is Ada.');
    expect(memory).toContain('Birthdays are in notes.md.');
    expect(fs.readFileSync(w.home('skills/pdf/SKILL.md'), 'utf8')).toContain('description: Read PDF files');
    expect(fs.readFileSync(w.home('skills/pdf/scripts/run.sh'), 'utf8')).toContain('echo run');
    expect(fs.existsSync(w.home('skills/recipes/SKILL.md'))).toBe(true);
    expect(fs.statSync(w.home('AGENTS.md')).mode & 0o777).toBe(0o444);
    expect(fs.statSync(w.home('skills/pdf/SKILL.md')).mode & 0o777).toBe(0o444);
    expect(fs.statSync(w.home('skills/pdf')).mode & 0o777).toBe(0o555);
    // The group's own AGENTS.md is read, never rewritten.
    expect(fs.readFileSync(path.join(w.groupsDir, 'family/AGENTS.md'), 'utf8')).toBe(
      '# Family\nBirthdays are in notes.md.\n',
    );
  });

  it('places only the named skills, none for [], and removes what the last start placed', async () => {
    const w = world();
    await w.place();
    await w.place({ skills: ['recipes'] });
    expect(fs.existsSync(w.home('skills/pdf'))).toBe(false);
    expect(fs.existsSync(w.home('skills/recipes/SKILL.md'))).toBe(true);
    await w.place({ skills: [] });
    expect(fs.readdirSync(w.home('skills'))).toEqual([]);
  });

  it('leaves the runtime’s own skills alone', async () => {
    const w = world();
    fs.mkdirSync(w.home('skills/.system/own'), { recursive: true });
    await w.place();
    await w.place({ skills: [] });
    expect(fs.readdirSync(w.home('skills'))).toEqual(['.system']);
  });

  it('drops the fragment of an MCP server removed from the settings on the next start', async () => {
    const w = world();
    await w.place({ mcpServers: { notes: { command: 'notes', instructions: 'NOTES-FRAGMENT' } } });
    expect(fs.readFileSync(w.home('AGENTS.md'), 'utf8')).toContain('NOTES-FRAGMENT');
    await w.place();
    expect(fs.readFileSync(w.home('AGENTS.md'), 'utf8')).not.toContain('NOTES-FRAGMENT');
  });

  it('answers a skill that exists nowhere with an error naming the key', async () => {
    const w = world();
    await expect(w.place({ skills: ['pdf', 'nope'] })).rejects.toThrow(
      'groups/family.container.json: skills: no skill "nope" in groups/global/skills/ or groups/family/skills/',
    );
  });

  it('never follows a symlink the agent put in its skills or memory', async () => {
    const w = world();
    const secret = path.join(path.dirname(w.groupsDir), 'secret.txt');
    fs.writeFileSync(secret, 'SECRET');
    fs.symlinkSync(secret, path.join(w.groupsDir, 'family/skills/recipes/leak.txt'));
    fs.rmSync(path.join(w.groupsDir, 'family/AGENTS.md'));
    fs.symlinkSync(secret, path.join(w.groupsDir, 'family/AGENTS.md'));
    await w.place();
    expect(fs.existsSync(w.home('skills/recipes/leak.txt'))).toBe(false);
    expect(fs.readFileSync(w.home('AGENTS.md'), 'utf8')).not.toContain('SECRET');
    // A link the agent left where the memory file goes is replaced, not written through.
    fs.rmSync(w.home('AGENTS.md'));
    fs.symlinkSync(secret, w.home('AGENTS.md'));
    await w.place();
    expect(fs.readFileSync(secret, 'utf8')).toBe('SECRET');
    expect(fs.lstatSync(w.home('AGENTS.md')).isSymbolicLink()).toBe(false);
  });
});
