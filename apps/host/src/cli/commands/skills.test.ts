import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { perTest } from '../../host/test-utils/cleanups.js';
import { createCliHarness, failure } from '../test-utils.js';

const harness = perTest(createCliHarness);

/** A skill folder `<root>/src/<name>` with a SKILL.md (front matter as given) and any extra files. */
function skillFolder(root: string, name: string, frontMatter: string, extra: Record<string, string> = {}) {
  const dir = path.join(root, 'src', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'SKILL.md'), `---\n${frontMatter}\n---\n\n# ${name}\n`);
  for (const [file, text] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('nanoclaw skills', () => {
  it('adds a skill for every group or one group, lists it with its scope, and removes it', async () => {
    const groups = harness.config.NANOCLAW_GROUPS_DIR;
    fs.mkdirSync(path.join(groups, 'family'), { recursive: true });
    const weather = skillFolder(harness.root, 'weather', 'name: weather\ndescription: "Fetch the forecast"', {
      'scripts/get.sh': 'curl wttr.in\n',
    });
    const chores = skillFolder(harness.root, 'chores', 'name: chores\ndescription: Who does what this week');

    expect((await harness.run(['skills', 'list'])).stdout).toBe(
      'no skills (add one: nanoclaw skills add <folder with SKILL.md>)\n',
    );
    expect(await harness.run(['skills', 'add', weather])).toEqual({
      code: 0,
      stdout: `added skill weather (global) at ${path.join(groups, 'global/skills/weather')}; agents see it from their next session\n`,
      stderr: '',
    });
    expect(fs.readFileSync(path.join(groups, 'global/skills/weather/scripts/get.sh'), 'utf8')).toBe(
      'curl wttr.in\n',
    );
    expect((await harness.run(['skills', 'add', chores, '--group', 'family'])).code).toBe(0);

    expect((await harness.run(['skills', 'list'])).stdout).toBe(
      'NAME     SCOPE   DESCRIPTION\nweather  global  Fetch the forecast\n',
    );
    expect((await harness.run(['skills', 'list', '--group', 'family'])).stdout).toBe(
      'NAME     SCOPE   DESCRIPTION\nweather  global  Fetch the forecast\nchores   family  Who does what this week\n',
    );
    const json = JSON.parse((await harness.run(['skills', 'list', '--group', 'family', '--json'])).stdout);
    expect(json).toMatchObject([
      { name: 'weather', scope: 'global' },
      { name: 'chores', scope: 'family', description: 'Who does what this week' },
    ]);

    expect(await harness.run(['skills', 'add', weather])).toEqual(
      failure(
        'nanoclaw: global already has a skill "weather": remove it first (nanoclaw skills remove weather)\n',
      ),
    );
    expect(await harness.run(['skills', 'remove', 'chores', '--group', 'family'])).toEqual({
      code: 0,
      stdout: 'removed skill chores (family)\n',
      stderr: '',
    });
    expect(fs.existsSync(path.join(groups, 'family/skills/chores'))).toBe(false);
    expect(await harness.run(['skills', 'remove', 'chores', '--group', 'family'])).toEqual(
      failure('nanoclaw: family has no skill "chores" (see nanoclaw skills list --group family)\n'),
    );
  });

  it('refuses a folder it cannot use, naming what to fix, and copies nothing', async () => {
    const groups = harness.config.NANOCLAW_GROUPS_DIR;
    const src = path.join(harness.root, 'src');
    const add = async (dir: string, ...flags: string[]) =>
      (await harness.run(['skills', 'add', dir, ...flags])).stderr;

    expect(await add(path.join(src, 'nope'))).toBe(
      `nanoclaw: ${path.join(src, 'nope')} does not exist: give the path of a skill folder\n`,
    );
    fs.mkdirSync(path.join(src, 'empty'), { recursive: true });
    expect(await add(path.join(src, 'empty'))).toBe(
      `nanoclaw: ${path.join(src, 'empty')} has no SKILL.md: a skill folder needs one, with name and description\n`,
    );
    const noDescription = skillFolder(harness.root, 'terse', 'name: terse');
    expect(await add(noDescription)).toBe(
      `nanoclaw: ${path.join(noDescription, 'SKILL.md')}: the front matter has no "description:"\n`,
    );
    const linked = skillFolder(harness.root, 'linked', 'name: linked\ndescription: d');
    fs.symlinkSync('/etc/passwd', path.join(linked, 'passwd'));
    expect(await add(linked)).toBe(
      `nanoclaw: ${path.join(linked, 'passwd')} is a symlink: a skill may hold only regular files and folders\n`,
    );
    const big = skillFolder(harness.root, 'big', 'name: big\ndescription: d', {
      'data.bin': 'x'.repeat(5 * 1024 * 1024),
    });
    expect(await add(big)).toBe(`nanoclaw: ${big} is larger than 5 MB: keep a skill small\n`);
    const upper = skillFolder(harness.root, 'Bad_Name', 'name: x\ndescription: d');
    expect(await add(upper)).toBe(
      'nanoclaw: the folder name "Bad_Name" is the skill\'s name: use lower-case letters, digits and "-"\n',
    );
    const renamed = skillFolder(harness.root, 'renamed', 'name: original\ndescription: d');
    expect(await add(renamed)).toBe(
      `nanoclaw: ${path.join(renamed, 'SKILL.md')}: its name "original" must be its folder's name, "renamed"\n`,
    );
    const ok = skillFolder(harness.root, 'ok', 'name: ok\ndescription: d');
    expect(await add(ok, '--group', '../etc')).toBe(
      'nanoclaw: "../etc" is not a group folder: 1-64 letters, digits, "_" or "-" (see nanoclaw groups list)\n',
    );
    expect(await add(ok, '--group', 'nosuch')).toBe(
      `nanoclaw: there is no group folder ${path.join(groups, 'nosuch')} (see nanoclaw groups list)\n`,
    );
    expect(fs.existsSync(path.join(groups, 'global/skills'))).toBe(false);

    // An agent can write its group folder: a `skills` link there must not make the CLI write or delete elsewhere.
    fs.mkdirSync(path.join(groups, 'family'), { recursive: true });
    fs.symlinkSync(src, path.join(groups, 'family/skills'));
    const linkRefused = `nanoclaw: ${path.join(groups, 'family/skills')} is a symlink: skills live in real folders only; remove it or move it away\n`;
    expect(await add(ok, '--group', 'family')).toBe(linkRefused);
    expect((await harness.run(['skills', 'remove', 'ok', '--group', 'family'])).stderr).toBe(linkRefused);
    expect(fs.existsSync(path.join(src, 'ok/SKILL.md'))).toBe(true);

    fs.mkdirSync(path.join(groups, 'global/skills/broken'), { recursive: true });
    expect((await harness.run(['skills', 'list'])).stdout).toBe(
      'NAME    SCOPE   DESCRIPTION\nbroken  global  (invalid: broken/SKILL.md is missing or not a regular file)\n',
    );
  });
});
