import fs from 'node:fs';
import path from 'node:path';
import { GROUP_FOLDER_PATTERN, NanoclawError } from '@nanoclaw/core';

/** A skill's name: its folder under `skills/`, as the agent CLIs accept it. */
export const SKILL_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** The most a skill folder may hold, all files together. */
export const SKILL_MAX_BYTES = 5 * 1024 * 1024;
const SKILL_MAX_ENTRIES = 500;

export const GLOBAL_SCOPE = 'global';

export interface SkillInfo {
  name: string;
  /** `global` (every group) or the group folder it belongs to. */
  scope: string;
  description: string;
  path: string;
  /** Why the folder is not a usable skill; unset for a good one. */
  problem?: string;
}

export class SkillError extends NanoclawError<'skill-invalid'> {
  override readonly name = 'SkillError';
  constructor(message: string) {
    super('skill-invalid', message);
  }
}

/**
 * The `name:` and `description:` of a SKILL.md's YAML front matter (the block between the first two `---`
 * lines). Plain or quoted single-line values; other keys are ignored. Throws naming what to fix.
 */
export function parseSkillFrontMatter(text: string, file: string): { name: string; description: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const end = lines.indexOf('---', 1);
  if (lines[0] !== '---' || end < 0) {
    throw new SkillError(
      `${file} must start with YAML front matter: a "---" line, name: …, description: …, "---"`,
    );
  }
  const fields = new Map<string, string>();
  for (const line of lines.slice(1, end)) {
    const match = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) fields.set(match[1], unquote(match[2].trim()));
  }
  const name = fields.get('name') ?? '';
  const description = fields.get('description') ?? '';
  if (!name) throw new SkillError(`${file}: the front matter has no "name:"`);
  if (!description) throw new SkillError(`${file}: the front matter has no "description:"`);
  return { name, description };
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted?.[1] ?? value;
}

/**
 * `groups/global/skills` or `groups/<folder>/skills`. Checks the folder name, and that neither the group folder
 * nor its `skills` is a symlink or a file: an agent can write its group folder, and the CLI must never copy to,
 * or delete in, a place a link points to.
 */
export function skillsDir(groupsDir: string, scope: string = GLOBAL_SCOPE): string {
  if (!GROUP_FOLDER_PATTERN.test(scope)) {
    throw new SkillError(
      `"${scope}" is not a group folder: 1-64 letters, digits, "_" or "-" (see nanoclaw groups list)`,
    );
  }
  const dir = path.join(groupsDir, scope, 'skills');
  for (const part of [path.dirname(dir), dir]) {
    const stat = fs.lstatSync(part, { throwIfNoEntry: false });
    if (stat && !stat.isDirectory()) {
      const kind = stat.isSymbolicLink() ? 'a symlink' : 'not a folder';
      throw new SkillError(`${part} is ${kind}: skills live in real folders only; remove it or move it away`);
    }
  }
  return dir;
}

/**
 * The skills of one scope, by name (none when the scope has no `skills/` folder). A folder that is not a usable
 * skill (a name the agent CLIs refuse, no regular SKILL.md, front matter without name or description, or a
 * name that is not the folder's) is listed with `problem` set and "(invalid: …)" as its description.
 */
export function listSkills(groupsDir: string, scope: string = GLOBAL_SCOPE): SkillInfo[] {
  const dir = skillsDir(groupsDir, scope);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, encoding: 'utf8' })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .map((name) => readSkill(dir, name, scope));
}

function readSkill(dir: string, name: string, scope: string): SkillInfo {
  const skillPath = path.join(dir, name);
  const shown = `${name}/SKILL.md`;
  try {
    if (!SKILL_NAME_PATTERN.test(name)) {
      throw new SkillError(`"${name}" is not a skill name: use lower-case letters, digits and "-"`);
    }
    const file = path.join(skillPath, 'SKILL.md');
    if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new SkillError(`${shown} is missing or not a regular file`);
    }
    const front = parseSkillFrontMatter(fs.readFileSync(file, 'utf8'), shown);
    if (front.name !== name) throw new SkillError(`${shown}: its name "${front.name}" must be "${name}"`);
    return { name, scope, description: front.description, path: skillPath };
  } catch (error) {
    const problem = error instanceof SkillError ? error.message : `${shown} cannot be read`;
    return { name, scope, description: `(invalid: ${problem})`, path: skillPath, problem };
  }
}

/**
 * The usable skills of one scope for a sandbox start: like {@link listSkills} without the invalid ones, and none
 * when the scope's folder or its `skills/` is a link or a file (the agent can write its group folder).
 */
export function usableSkills(groupsDir: string, scope: string): SkillInfo[] {
  try {
    return listSkills(groupsDir, scope).filter((skill) => skill.problem === undefined);
  } catch (error) {
    if (error instanceof SkillError) return [];
    throw error;
  }
}

/** Every skill a scope sees: the global ones, then the folder's own (with `scope` set). */
export function listSkillsFor(groupsDir: string, scope?: string): SkillInfo[] {
  return scope === undefined || scope === GLOBAL_SCOPE
    ? listSkills(groupsDir, GLOBAL_SCOPE)
    : [...listSkills(groupsDir, GLOBAL_SCOPE), ...listSkills(groupsDir, scope)];
}

/**
 * Copies the skill folder `source` to `groups/<scope>/skills/<folder name>/`. The folder must hold a SKILL.md
 * with `name` and `description`, only regular files and directories (no symlinks or devices), at most
 * {@link SKILL_MAX_BYTES} in all, and must not exist yet. Copies to a temp folder first, then renames.
 */
export function addSkill(groupsDir: string, source: string, scope: string = GLOBAL_SCOPE): SkillInfo {
  const from = path.resolve(source);
  const stat = fs.lstatSync(from, { throwIfNoEntry: false });
  if (!stat) throw new SkillError(`${source} does not exist: give the path of a skill folder`);
  if (!stat.isDirectory())
    throw new SkillError(`${source} is not a folder: give the folder that holds SKILL.md`);
  const name = path.basename(from);
  if (!SKILL_NAME_PATTERN.test(name)) {
    throw new SkillError(
      `the folder name "${name}" is the skill's name: use lower-case letters, digits and "-"`,
    );
  }
  const file = path.join(from, 'SKILL.md');
  if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new SkillError(`${source} has no SKILL.md: a skill folder needs one, with name and description`);
  }
  const front = parseSkillFrontMatter(fs.readFileSync(file, 'utf8'), file);
  if (front.name !== name) {
    throw new SkillError(`${file}: its name "${front.name}" must be its folder's name, "${name}"`);
  }
  const { description } = front;
  const files = checkTree(from, source);
  const dir = skillsDir(groupsDir, scope);
  if (scope !== GLOBAL_SCOPE && !fs.existsSync(path.join(groupsDir, scope))) {
    throw new SkillError(
      `there is no group folder ${path.join(groupsDir, scope)} (see nanoclaw groups list)`,
    );
  }
  const target = path.join(dir, name);
  if (fs.existsSync(target)) {
    throw new SkillError(
      `${scope} already has a skill "${name}": remove it first (nanoclaw skills remove ${name}${scopeFlag(scope)})`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, `.${name}-`));
  try {
    for (const relative of files) {
      const to = path.join(staging, relative);
      if (relative.endsWith('/')) fs.mkdirSync(to, { recursive: true });
      else fs.copyFileSync(path.join(from, relative), to);
    }
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { name, scope, description, path: target };
}

/** Removes `groups/<scope>/skills/<name>/`. */
export function removeSkill(groupsDir: string, name: string, scope: string = GLOBAL_SCOPE): SkillInfo {
  if (!SKILL_NAME_PATTERN.test(name))
    throw new SkillError(`"${name}" is not a skill name (see nanoclaw skills list)`);
  const target = path.join(skillsDir(groupsDir, scope), name);
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) {
    throw new SkillError(`${scope} has no skill "${name}" (see nanoclaw skills list${scopeFlag(scope)})`);
  }
  fs.rmSync(target, { recursive: true });
  return { name, scope, description: '', path: target };
}

export function scopeFlag(scope: string): string {
  return scope === GLOBAL_SCOPE ? '' : ` --group ${scope}`;
}

/** One entry of a skill folder, `relative` with "/" separators; a link is never followed. */
export interface SkillTreeEntry {
  relative: string;
  kind: 'folder' | 'file' | 'link' | 'special';
  size: number;
  mode: number;
}

/**
 * The entries under `root` in copy order (a folder before what it holds), read with lstat so a link stays a
 * link. Stops after {@link SKILL_MAX_ENTRIES} + 1 entries, so a caller can tell a tree that is too big.
 */
export function skillTree(root: string): SkillTreeEntry[] {
  const out: SkillTreeEntry[] = [];
  const walk = (relative: string) => {
    const entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true, encoding: 'utf8' });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (out.length > SKILL_MAX_ENTRIES) return;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const stat = fs.lstatSync(path.join(root, child));
      const kind = stat.isDirectory()
        ? 'folder'
        : stat.isFile()
          ? 'file'
          : stat.isSymbolicLink()
            ? 'link'
            : 'special';
      out.push({ relative: child, kind, size: stat.size, mode: stat.mode });
      if (kind === 'folder') walk(child);
    }
  };
  walk('');
  return out;
}

/** Why a skill tree cannot be used as it is (too many entries, too many bytes), or undefined. */
export function skillTreeTooBig(entries: readonly SkillTreeEntry[], shown: string): string | undefined {
  if (entries.length > SKILL_MAX_ENTRIES)
    return `${shown} has more than ${SKILL_MAX_ENTRIES} files: keep a skill small`;
  const bytes = entries.reduce((sum, entry) => sum + (entry.kind === 'file' ? entry.size : 0), 0);
  if (bytes > SKILL_MAX_BYTES)
    return `${shown} is larger than ${SKILL_MAX_BYTES / 1024 / 1024} MB: keep a skill small`;
  return undefined;
}

/**
 * The relative paths under `root` in copy order (folders end with the separator); refuses symlinks, devices,
 * sockets and FIFOs, and more than {@link SKILL_MAX_BYTES} or {@link SKILL_MAX_ENTRIES}.
 */
function checkTree(root: string, shown: string): string[] {
  const entries = skillTree(root);
  const tooBig = skillTreeTooBig(entries, shown);
  if (tooBig) throw new SkillError(tooBig);
  const odd = entries.find((entry) => entry.kind === 'link' || entry.kind === 'special');
  if (odd) {
    const kind = odd.kind === 'link' ? 'a symlink' : 'not a regular file';
    throw new SkillError(
      `${path.join(shown, odd.relative)} is ${kind}: a skill may hold only regular files and folders`,
    );
  }
  return entries.map((entry) => (entry.kind === 'folder' ? `${entry.relative}/` : entry.relative));
}
