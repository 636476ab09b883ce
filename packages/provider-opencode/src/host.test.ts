import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createOpencodeHostContribution,
  hostAuthPath,
  OPENCODE_HOME_DIR,
  opencodeHostContribution,
} from './host.js';
import { cleanupTempDirs, tempDir } from './test-utils.js';

afterAll(cleanupTempDirs);

function hostWithLogin(content = '{"anthropic":{"type":"api","key":"sk-ant"}}') {
  const hostHome = tempDir();
  const auth = hostAuthPath({}, hostHome);
  fs.mkdirSync(path.dirname(auth), { recursive: true });
  fs.writeFileSync(auth, content);
  return { hostHome, auth };
}

describe('opencodeHostContribution', () => {
  it('declares the provider, its env allowlist and its home dir', () => {
    expect(opencodeHostContribution).toMatchObject({
      specificationVersion: 'v1',
      id: 'opencode',
      homeDir: '.local/share/opencode',
    });
    expect(OPENCODE_HOME_DIR).toBe('.local/share/opencode');
    expect(opencodeHostContribution.envAllowlist).toEqual(
      expect.arrayContaining(['OPENCODE_MODEL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY']),
    );
  });

  it('copies the host login into the session home (0600) and keeps a newer session copy', async () => {
    const { hostHome, auth } = hostWithLogin();
    const contribution = createOpencodeHostContribution({ hostHome });
    const homePath = path.join(tempDir(), 'session', OPENCODE_HOME_DIR);
    await contribution.prepareHome?.({ homePath, env: {} });
    const copy = path.join(homePath, 'auth.json');
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(auth, 'utf8'));
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);

    fs.writeFileSync(copy, '{"refreshed":true}');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(copy, later, later);
    await contribution.prepareHome?.({ homePath, env: {} });
    expect(fs.readFileSync(copy, 'utf8')).toBe('{"refreshed":true}');
  });

  it('only creates the home when the host has no login', async () => {
    const contribution = createOpencodeHostContribution({ hostHome: tempDir() });
    const homePath = path.join(tempDir(), 'h');
    await contribution.prepareHome?.({ homePath, env: {} });
    expect(fs.readdirSync(homePath)).toEqual([]);
  });

  it('describes the credentials in use', () => {
    const none = createOpencodeHostContribution({ hostHome: tempDir() });
    expect(none.describeCredentials({})).toBeNull();
    expect(
      none.describeCredentials({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', OPENCODE_MODEL: 'm' }),
    ).toBe(
      'OpenAI-compatible endpoint http://127.0.0.1:8000/v1 as provider nanoclaw (without a key), model m',
    );
    expect(none.describeCredentials({ ANTHROPIC_API_KEY: 'x', OPENROUTER_API_KEY: 'y' })).toBe(
      'ANTHROPIC_API_KEY, OPENROUTER_API_KEY',
    );
    const { hostHome, auth } = hostWithLogin();
    const login = createOpencodeHostContribution({ hostHome });
    expect(login.describeCredentials({})).toBe(`opencode login for anthropic (${auth})`);
  });
});
