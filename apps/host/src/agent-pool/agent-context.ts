import fs from 'node:fs/promises';
import path from 'node:path';
import { isSandboxError, readGroupFile } from '@nanoclaw/container-runner';
import type { AgentContextPlaces, ContainerConfig, GroupSkills, Logger } from '@nanoclaw/core';
import {
  GLOBAL_SCOPE,
  SKILL_NAME_PATTERN,
  type SkillTreeEntry,
  skillTree,
  skillTreeTooBig,
  usableSkills,
} from '../skills/skill-files.js';
import { AgentPoolError } from './agent-pool-error.js';

/** One short note per family of the agent's own tools (the `nanoclaw` MCP server), in every composed memory. */
export const AGENT_TOOL_FRAGMENTS: readonly string[] = [
  '## Messaging\n\nYour reply is sent to the chat when your turn ends. `send_message` (nanoclaw tools) sends a message at once, e.g. progress on long work; its `attachments` send files from your group folder (a chart you made, a PDF) as a photo, voice note or document.',
  '## Scheduling\n\n`schedule_task` runs a prompt later (cron, interval or once) in this group; `list_tasks`, `update_task`, `pause_task`, `resume_task` and `cancel_task` manage the tasks.',
  '## Questions\n\n`ask_user_question` asks the person you are answering and waits for their choice; use it when you need a decision you cannot make yourself.',
  '## Groups\n\n`list_chats` lists the chats the host knows; `register_group` gives a chat its own group (main group only).',
];

/** Where a group's memory and skills come from: `groups/global/` for all groups, `groups/<folder>/` for one. */
export interface AgentContextSource {
  groupsDir: string;
  folder: string;
}

/** What a sandbox start placed last time, kept in the session dir (out of the agent's reach). */
interface PlacedManifest {
  skillsDir: string;
  skills: string[];
}

const MANIFEST = 'agent-context.json';

/**
 * The runtime's memory file: the global memory, the group's own `AGENTS.md` (read here, never written), then the
 * agent-tool fragments and one fragment per configured MCP server that brings `instructions`.
 */
export function composeMemory(parts: {
  globalMemory: string;
  groupMemory: string;
  mcpServers: ContainerConfig['mcpServers'];
}): string {
  const servers = Object.entries(parts.mcpServers)
    .filter(([, server]) => server.instructions !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, server]) => `## MCP server \`${name}\`\n\n${server.instructions?.trim()}`);
  const sections = [
    parts.globalMemory.trim(),
    parts.groupMemory.trim(),
    '# Your tools (from NanoClaw)',
    ...AGENT_TOOL_FRAGMENTS,
    ...servers,
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

/** `AGENTS.md` in a groups folder, read without following symlinks; '' when missing or unreadable. */
async function readMemory(dir: string): Promise<string> {
  try {
    return (await readGroupFile(dir, 'AGENTS.md', { maxBytes: 256 * 1024 })).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * The skills a group gets, each with the folder it comes from: the global ones and the group's own (the group's
 * wins a name both have), filtered by the group's `skills` setting. A named skill that exists nowhere is an error
 * naming the key.
 */
export function selectSkills(source: AgentContextSource, setting: GroupSkills): Map<string, string> {
  const available = new Map<string, string>();
  for (const scope of [GLOBAL_SCOPE, source.folder]) {
    for (const skill of usableSkills(source.groupsDir, scope)) {
      available.set(skill.name, path.join(source.groupsDir, scope));
    }
  }
  if (setting === 'all') return available;
  const missing = setting.filter((name) => !available.has(name));
  if (missing.length > 0) {
    throw new AgentPoolError(
      'invalid-skills',
      `groups/${source.folder}.container.json: skills: no skill ${missing.map((n) => `"${n}"`).join(', ')} in groups/global/skills/ or groups/${source.folder}/skills/`,
    );
  }
  return new Map(setting.map((name) => [name, available.get(name) as string]));
}

/**
 * Creates the runtime's skills folder and the memory file's folder in its home (real directories, a symlink in
 * the way is replaced), before the home is handed to the sandbox user: the runtime may add skills of its own.
 */
export async function prepareContextDirs(providerHome: string, places: AgentContextPlaces): Promise<void> {
  await ensureRealDir(providerHome, places.skillsDir);
  await ensureRealDir(providerHome, path.posix.dirname(places.memoryFile));
}

/**
 * At each sandbox start: removes what the previous start placed, writes the composed memory and copies the
 * selected skills into the runtime's native places, read-only (files 0444, folders 0555, owned by the host).
 */
export async function placeAgentContext(options: {
  source: AgentContextSource;
  config: ContainerConfig;
  providerHome: string;
  sessionDir: string;
  places: AgentContextPlaces;
  logger: Logger;
}): Promise<{ skills: string[] }> {
  const { source, config, providerHome, sessionDir, places } = options;
  const skills = selectSkills(source, config.skills);
  await removePlaced(providerHome, sessionDir);
  const memory = composeMemory({
    globalMemory: await readMemory(path.join(source.groupsDir, 'global')),
    groupMemory: await readMemory(path.join(source.groupsDir, source.folder)),
    mcpServers: config.mcpServers,
  });
  await writeReadOnly(path.join(providerHome, places.memoryFile), memory, 0o444);
  const skillsRoot = await ensureRealDir(providerHome, places.skillsDir);
  const manifest: PlacedManifest = { skillsDir: places.skillsDir, skills: [...skills.keys()] };
  await fs.writeFile(path.join(sessionDir, MANIFEST), `${JSON.stringify(manifest)}\n`, { mode: 0o600 });
  for (const [name, from] of skills) {
    await removeTree(path.join(skillsRoot, name));
    await copySkill(from, name, path.join(skillsRoot, name), options.logger);
  }
  return { skills: [...skills.keys()] };
}

/** Removes the skills the last start placed (by the host's own record, never by what the home now holds). */
async function removePlaced(providerHome: string, sessionDir: string): Promise<void> {
  const raw = await fs.readFile(path.join(sessionDir, MANIFEST), 'utf8').catch(() => undefined);
  if (raw === undefined) return;
  let manifest: Partial<PlacedManifest>;
  try {
    manifest = JSON.parse(raw) as Partial<PlacedManifest>;
  } catch {
    return;
  }
  if (typeof manifest.skillsDir !== 'string' || !Array.isArray(manifest.skills)) return;
  const root = await ensureRealDir(providerHome, manifest.skillsDir).catch(() => undefined);
  if (!root) return;
  for (const name of manifest.skills) {
    if (typeof name === 'string' && SKILL_NAME_PATTERN.test(name)) await removeTree(path.join(root, name));
  }
}

/**
 * Copies one skill folder's regular files and folders, each file read without following links; links and
 * special files are left out, and a skill over the size limits is left out whole (with a warning).
 */
async function copySkill(baseDir: string, name: string, target: string, logger: Logger): Promise<void> {
  const entries = skillTree(path.join(baseDir, 'skills', name));
  const tooBig = skillTreeTooBig(entries, `skills/${name}`);
  if (tooBig) {
    logger.warn({ skill: name, reason: tooBig }, 'skill left out');
    return;
  }
  await fs.mkdir(target, { mode: 0o755 });
  const folders: string[] = [];
  for (const entry of entries) {
    const to = path.join(target, entry.relative);
    if (entry.kind === 'folder') {
      await fs.mkdir(to, { mode: 0o755 });
      folders.push(to);
    } else if (entry.kind === 'file') {
      await copyFile(baseDir, name, entry, to, logger);
    } else {
      logger.warn({ skill: name, file: entry.relative, kind: entry.kind }, 'skill file left out');
    }
  }
  for (const folder of [...folders, target].reverse()) await fs.chmod(folder, 0o555);
}

async function copyFile(
  baseDir: string,
  name: string,
  entry: SkillTreeEntry,
  to: string,
  logger: Logger,
): Promise<void> {
  try {
    const bytes = await readGroupFile(baseDir, path.posix.join('skills', name, entry.relative));
    await writeReadOnly(to, bytes, entry.mode & 0o111 ? 0o555 : 0o444);
  } catch (error) {
    if (!isSandboxError(error)) throw error;
    logger.warn({ skill: name, file: entry.relative, reason: error.message }, 'skill file left out');
  }
}

/** Writes a new file (an old file or link in its place is removed first; `wx` never follows a link). */
async function writeReadOnly(file: string, content: string | Buffer, mode: number): Promise<void> {
  await fs.rm(file, { force: true });
  await fs.writeFile(file, content, { flag: 'wx', mode });
  await fs.chmod(file, mode);
}

/** `rel` under `base` as real directories: a symlink or file in the way is removed; returns the full path. */
async function ensureRealDir(base: string, rel: string): Promise<string> {
  let current = base;
  for (const segment of rel.split('/').filter((s) => s !== '' && s !== '.')) {
    if (segment === '..') throw new Error(`invalid agent context path "${rel}"`);
    current = path.join(current, segment);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (stat && !stat.isDirectory()) await fs.rm(current, { force: true });
    if (!stat?.isDirectory()) await fs.mkdir(current, { mode: 0o755 });
  }
  return current;
}

/** Removes a placed tree the host made read-only (a link in its place is removed as a link). */
async function removeTree(target: string): Promise<void> {
  const stat = await fs.lstat(target).catch(() => undefined);
  if (!stat) return;
  if (stat.isDirectory()) await makeWritable(target);
  await fs.rm(target, { recursive: true, force: true });
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeWritable(path.join(dir, entry.name));
  }
}
