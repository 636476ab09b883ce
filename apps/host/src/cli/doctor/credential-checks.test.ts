import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@nanoclaw/db';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroupRegistry } from '../../groups/index.js';
import { configFor, tempDir } from '../test-utils.js';
import { checkCredentials } from './credential-checks.js';
import { readDoctorGroups } from './doctor-groups.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

async function check(
  env: Record<string, string>,
  options: { runtime?: string; chatgptLogin?: boolean } = {},
) {
  const root = tempDir('nanoclaw-credentials-');
  roots.push(root);
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  if (options.chatgptLogin) {
    fs.mkdirSync(path.join(homeDir, '.codex'));
    fs.writeFileSync(path.join(homeDir, '.codex', 'auth.json'), '{"tokens":{"access_token":"at"}}');
  }
  const config = configFor(root, env);
  const checks = checkCredentials({
    config,
    env: {},
    homeDir,
    ...(options.runtime ? { runtime: options.runtime } : {}),
    groups: await readDoctorGroups(config, homeDir),
  });
  return { checks, homeDir, byName: (name: string) => checks.find((c) => c.name === name) };
}

describe('model traffic in nanoclaw doctor', () => {
  it('names the route and the credential the host adds, for the provider in use only', async () => {
    const { byName } = await check(
      { AGENT_PROVIDER: 'claude', ANTHROPIC_API_KEY: 'sk-ant' },
      { runtime: 'bwrap' },
    );
    expect(byName('claude model traffic')).toEqual({
      name: 'claude model traffic',
      status: 'ok',
      detail:
        "through the host's egress proxy to https://api.anthropic.com, the host adds ANTHROPIC_API_KEY as x-api-key\nno credential enters the sandbox",
    });
    expect(byName('codex model traffic')).toBeUndefined();
  });

  it('names a ChatGPT login as the credential readable in the sandbox, and where Codex goes itself', async () => {
    const { byName, homeDir } = await check(
      { AGENT_PROVIDER: 'codex' },
      { runtime: 'docker', chatgptLogin: true },
    );
    const traffic = byName('codex model traffic');
    expect(traffic?.status).toBe('warn');
    expect(traffic?.detail).toBe(
      [
        'the runtime reaches chatgpt.com:443, auth.openai.com:443 itself (CONNECT through the host, also with network "none")',
        `readable in the sandbox: the ChatGPT login (${path.join(homeDir, '.codex', 'auth.json')}, copied into the session's Codex home) (Codex refreshes its tokens itself and sends them to chatgpt.com)`,
      ].join('\n'),
    );
  });

  it('covers a group whose container.json names another provider, and a key at a custom endpoint', async () => {
    const root = tempDir('nanoclaw-credentials-');
    roots.push(root);
    const groups = path.join(root, 'groups');
    fs.mkdirSync(path.join(groups, 'coder'), { recursive: true });
    fs.writeFileSync(path.join(groups, 'coder.container.json'), '{"provider":"opencode"}');
    const config = configFor(root, {
      AGENT_PROVIDER: 'claude',
      ANTHROPIC_API_KEY: 'sk-ant',
      OPENAI_API_KEY: 'sk-o',
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
      NANOCLAW_GROUPS_DIR: groups,
    });
    const database = await openDatabase({ path: path.join(config.NANOCLAW_DATA_DIR, 'nanoclaw.db') });
    await createGroupRegistry({ db: database.db, groupsDir: groups }).add({ folder: 'coder' });
    await database.close();
    const checks = checkCredentials({
      config,
      env: {},
      homeDir: root,
      groups: await readDoctorGroups(config, root),
    });
    const opencode = checks.find((c) => c.name === 'opencode model traffic');
    expect(opencode?.detail).toContain(
      "through the host's egress proxy to http://127.0.0.1:8000/v1, the host adds OPENAI_API_KEY as authorization",
    );
  });

  it('says the process runtime keeps credentials in the agent env', async () => {
    const { byName } = await check(
      { AGENT_PROVIDER: 'claude', ANTHROPIC_API_KEY: 'sk-ant' },
      { runtime: 'process' },
    );
    expect(byName('claude model traffic')).toMatchObject({ status: 'warn' });
    expect(byName('claude model traffic')?.detail).toMatch(/without the host's egress proxy/);
  });
});
