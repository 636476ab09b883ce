import type { Command } from 'commander';
import {
  addSkill,
  GLOBAL_SCOPE,
  listSkillsFor,
  removeSkill,
  SkillError,
  type SkillInfo,
} from '../../skills/skill-files.js';
import { action, type CliContext, type CliDeps } from '../cli-context.js';
import { CliError, writeLine, writeResult } from '../cli-io.js';
import { formatTable, truncate } from '../format.js';

interface ScopeOptions {
  group?: string;
  json?: boolean;
}

/**
 * `nanoclaw skills list|add|remove`: agent skills under `groups/global/skills/` (every group) or
 * `groups/<folder>/skills/` (one group). Works on the groups folder the configuration names, as the host does,
 * so skills can be added before the host first runs; agents see a change from their next session.
 */
export function registerSkillsCommand(program: Command, deps: CliDeps, context: CliContext): void {
  const skills = program
    .command('skills')
    .description('agent skills: groups/global/skills/ (every group) or groups/<folder>/skills/');
  const groupsDir = () => context.config().NANOCLAW_GROUPS_DIR;
  skills
    .command('list')
    .description('list skills: name, scope (global or the group folder), description')
    .option('--group <folder>', "also the group's own skills")
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (options: ScopeOptions) => {
        const list = skillCall(() => listSkillsFor(groupsDir(), options.group));
        writeResult(context.stdout, options.json, list, skillsTable);
        return 0;
      }),
    );
  skills
    .command('add <path>')
    .description(
      'copy a skill folder (with SKILL.md: name, description) in; its folder name is the skill name',
    )
    .option('--group <folder>', 'for this group only (default: every group)')
    .option('--json', 'print JSON')
    .action(
      action(deps, context, async (source: string, options: ScopeOptions) => {
        const added = skillCall(() => addSkill(groupsDir(), source, options.group ?? GLOBAL_SCOPE));
        writeResult(
          context.stdout,
          options.json,
          added,
          (skill) =>
            `added skill ${skill.name} (${skill.scope}) at ${skill.path}; agents see it from their next session`,
        );
        return 0;
      }),
    );
  skills
    .command('remove <name>')
    .description('delete a skill folder')
    .option('--group <folder>', "the group's own skill (default: a global one)")
    .action(
      action(deps, context, async (name: string, options: ScopeOptions) => {
        const scope = options.group ?? GLOBAL_SCOPE;
        const removed = skillCall(() => removeSkill(groupsDir(), name, scope));
        writeLine(context.stdout, `removed skill ${removed.name} (${removed.scope})`);
        return 0;
      }),
    );
}

function skillCall<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof SkillError) throw new CliError(error.message);
    throw error;
  }
}

function skillsTable(list: SkillInfo[]): string {
  if (list.length === 0) return 'no skills (add one: nanoclaw skills add <folder with SKILL.md>)';
  return formatTable(
    ['NAME', 'SCOPE', 'DESCRIPTION'],
    list.map((skill) => [skill.name, skill.scope, truncate(skill.description, 100)]),
  );
}
