import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFor, tempDir } from '../test-utils.js';
import { checkCredentials } from './credential-checks.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function check(env: Record<string, string>, options: { runtime?: string; chatgptLogin?: boolean } = {}) {
  const root = tempDir('nanoclaw-credentials-');
  roots.push(root);
  const homeDir = path.join(root, 'home');
  fs.mkdirSync(homeDir);
  if (options.chatgptLogin) {
    fs.mkdirSync(path.join(homeDir, '.codex'));
    fs.writeFileSync(path.join(homeDir, '.codex', 'auth.json'), '{"tokens":{"access_token":"at"}}');
  }
  const checks = checkCredentials({
    config: configFor(root, env),
    env: {},
    homeDir,
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
  return { checks, homeDir, byName: (name: string) => checks.find((c) => c.name === name) };
}

describe('model traffic in nanoclaw doctor', () => {
  it('names the route and the credential the host adds, for the provider in use only', () => {
    const { byName } = check({ AGENT_PROVIDER: 'claude', ANTHROPIC_API_KEY: 'sk-ant' }, { runtime: 'bwrap' });
    expect(byName('claude model traffic')).toEqual({
      name: 'claude model traffic',
      status: 'ok',
      detail:
        "through the host's egress proxy to https://api.anthropic.com, the host adds ANTHROPIC_API_KEY as x-api-key\nno credential enters the sandbox",
    });
    expect(byName('codex model traffic')).toBeUndefined();
  });

  it('names a ChatGPT login as the credential readable in the sandbox, and where Codex goes itself', () => {
    const { byName, homeDir } = check({ AGENT_PROVIDER: 'codex' }, { runtime: 'docker', chatgptLogin: true });
    const traffic = byName('codex model traffic');
    expect(traffic?.status).toBe('warn');
    expect(traffic?.detail).toBe(
      [
        'the runtime reaches chatgpt.com:443, auth.openai.com:443 itself (CONNECT through the host, also with network "none")',
        `readable in the sandbox: the ChatGPT login (${path.join(homeDir, '.codex', 'auth.json')}, copied into the session's Codex home) (Codex refreshes its tokens itself and sends them to chatgpt.com)`,
      ].join('\n'),
    );
  });

  it('covers a group whose container.json names another provider, and a key at a custom endpoint', () => {
    const root = tempDir('nanoclaw-credentials-');
    roots.push(root);
    const groups = path.join(root, 'groups');
    fs.mkdirSync(path.join(groups, 'coder'), { recursive: true });
    fs.writeFileSync(path.join(groups, 'coder', 'container.json'), '{"provider":"opencode"}');
    const checks = checkCredentials({
      config: configFor(root, {
        AGENT_PROVIDER: 'claude',
        ANTHROPIC_API_KEY: 'sk-ant',
        OPENAI_API_KEY: 'sk-o',
        OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
        NANOCLAW_GROUPS_DIR: groups,
      }),
      env: {},
      homeDir: root,
    });
    const opencode = checks.find((c) => c.name === 'opencode model traffic');
    expect(opencode?.detail).toContain(
      "through the host's egress proxy to http://127.0.0.1:8000/v1, the host adds OPENAI_API_KEY as authorization",
    );
  });

  it('says the process runtime keeps credentials in the agent env', () => {
    const { byName } = check(
      { AGENT_PROVIDER: 'claude', ANTHROPIC_API_KEY: 'sk-ant' },
      { runtime: 'process' },
    );
    expect(byName('claude model traffic')).toMatchObject({ status: 'warn' });
    expect(byName('claude model traffic')?.detail).toMatch(/without the host's egress proxy/);
  });
});
