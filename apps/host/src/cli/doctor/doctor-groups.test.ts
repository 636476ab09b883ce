import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroupRegistry, createSessionStore, MAIN_SESSION_KEY } from '../../groups/index.js';
import { configFor, tempDir } from '../test-utils.js';
import { readDoctorGroups } from './doctor-groups.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function project(env: Record<string, string> = {}) {
  const root = tempDir('nanoclaw-doctor-groups-');
  roots.push(root);
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  return { config: configFor(root, env), home };
}

describe('readDoctorGroups', () => {
  it('before the first start: only main, which that start creates, on what a group without a setting gets', async () => {
    const { config, home } = project({ AGENT_PROVIDER: 'codex' });
    fs.mkdirSync(path.join(config.NANOCLAW_GROUPS_DIR, 'family'), { recursive: true });
    const { groups, groupDefault } = await readDoctorGroups(config, home);
    expect(groupDefault).toEqual({ id: 'codex', source: 'AGENT_PROVIDER' });
    expect(groups.map((g) => [g.folder, g.served, `${g.provider.id} (${g.provider.source})`])).toEqual([
      ['family', false, 'codex (AGENT_PROVIDER)'],
      ['main', true, 'codex (AGENT_PROVIDER)'],
    ]);
  });

  it("reads the registered groups and their main sessions' pins from the database, without changing it", async () => {
    const { config, home } = project();
    const file = path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db');
    const database = await openDatabase({ path: file });
    fs.mkdirSync(path.join(config.NANOCLAW_GROUPS_DIR, 'main'), { recursive: true });
    const registry = createGroupRegistry({ db: database.db, groupsDir: config.NANOCLAW_GROUPS_DIR });
    await registry.sync(); // registers main, as the first start does
    const work = await registry.add({ folder: 'work', provider: 'opencode' });
    const sessions = createSessionStore(database.db);
    await sessions.setProvider((await sessions.getOrCreate(work.id, MAIN_SESSION_KEY)).id, 'claude');
    fs.writeFileSync(path.join(config.NANOCLAW_GROUPS_DIR, 'main.container.json'), '{"provdier": "x"}');
    await database.close();
    const before = fs.readFileSync(file);

    const { groups } = await readDoctorGroups(config, home);
    expect(
      groups.map((g) => [g.folder, g.served, `${g.provider.id} (${g.provider.source})`, g.configError]),
    ).toEqual([
      ['main', true, 'mock (no credentials)', expect.stringContaining('main.container.json: provdier')],
      ['work', true, 'claude (session)', null],
    ]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('names a skills setting that asks for a skill no folder has', async () => {
    const { config, home } = project();
    const groupsDir = config.NANOCLAW_GROUPS_DIR;
    fs.mkdirSync(path.join(groupsDir, 'global/skills/pdf'), { recursive: true });
    fs.writeFileSync(
      path.join(groupsDir, 'global/skills/pdf/SKILL.md'),
      '---\nname: pdf\ndescription: PDFs\n---\n',
    );
    for (const folder of ['good', 'typo']) fs.mkdirSync(path.join(groupsDir, folder));
    fs.writeFileSync(path.join(groupsDir, 'good.container.json'), '{"skills": ["pdf"]}');
    fs.writeFileSync(path.join(groupsDir, 'typo.container.json'), '{"skills": ["pfd"]}');
    const { groups } = await readDoctorGroups(config, home);
    expect(groups.map((g) => [g.folder, g.configError])).toEqual([
      ['good', null],
      ['main', null],
      [
        'typo',
        'groups/typo.container.json: skills: no skill "pfd" in groups/global/skills/ or groups/typo/skills/',
      ],
    ]);
  });
});
