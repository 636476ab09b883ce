import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listSkills, SKILL_MAX_BYTES, skillTree, skillTreeTooBig, usableSkills } from './skill-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function groups(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skill-files-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const skill = (name: string, description = 'Does a thing') =>
  `---\nname: ${name}\ndescription: ${description}\n---\nBody\n`;

describe('skill discovery', () => {
  it('lists every folder and says what is wrong with the unusable ones; a sandbox start gets only the good ones', () => {
    const root = groups({
      'global/skills/good/SKILL.md': skill('good'),
      'global/skills/Upper/SKILL.md': skill('Upper'),
      'global/skills/renamed/SKILL.md': skill('other'),
      'global/skills/bare/SKILL.md': 'no front matter\n',
      'global/skills/.hidden/SKILL.md': skill('hidden'),
    });
    fs.symlinkSync(path.join(root, 'global/skills/good/SKILL.md'), path.join(root, 'global/skills/linked'));
    const listed = listSkills(root);
    expect(listed.map((s) => [s.name, s.problem ?? 'ok'])).toEqual([
      ['Upper', '"Upper" is not a skill name: use lower-case letters, digits and "-"'],
      [
        'bare',
        'bare/SKILL.md must start with YAML front matter: a "---" line, name: …, description: …, "---"',
      ],
      ['good', 'ok'],
      ['renamed', 'renamed/SKILL.md: its name "other" must be "renamed"'],
    ]);
    expect(usableSkills(root, 'global').map((s) => s.name)).toEqual(['good']);
  });

  it('never reads a SKILL.md that is a link, and a group whose skills/ is a link has none at sandbox start', () => {
    const root = groups({ 'secret.md': skill('leak', 'SECRET'), 'family/own/x.md': 'x' });
    fs.mkdirSync(path.join(root, 'family/skills/leak'), { recursive: true });
    fs.symlinkSync(path.join(root, 'secret.md'), path.join(root, 'family/skills/leak/SKILL.md'));
    expect(listSkills(root, 'family')[0]?.description).not.toContain('SECRET');
    fs.rmSync(path.join(root, 'family/skills'), { recursive: true });
    fs.symlinkSync(path.join(root, 'family/own'), path.join(root, 'family/skills'));
    expect(() => listSkills(root, 'family')).toThrow('is a symlink');
    expect(usableSkills(root, 'family')).toEqual([]);
    expect(usableSkills(root, 'nobody')).toEqual([]);
  });

  it('walks a tree without following links and tells a tree that is too big', () => {
    const root = groups({ 's/SKILL.md': skill('s'), 's/scripts/run.sh': '#!/bin/sh\n' });
    fs.symlinkSync('/etc/passwd', path.join(root, 's/passwd'));
    const tree = skillTree(path.join(root, 's'));
    expect(tree.map((e) => `${e.kind}:${e.relative}`)).toEqual([
      'file:SKILL.md',
      'link:passwd',
      'folder:scripts',
      'file:scripts/run.sh',
    ]);
    expect(skillTreeTooBig(tree, 's')).toBeUndefined();
    fs.writeFileSync(path.join(root, 's/big.bin'), Buffer.alloc(SKILL_MAX_BYTES + 1));
    expect(skillTreeTooBig(skillTree(path.join(root, 's')), 's')).toBe(
      's is larger than 5 MB: keep a skill small',
    );
  });
});
