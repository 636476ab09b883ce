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

describe('opencode egress: model traffic through the host', () => {
  const egressOf = (env: Record<string, string>) =>
    createOpencodeHostContribution({ hostHome: tempDir() }).egress?.(env);

  it('routes each vendor key to its API, with the header its SDK sends', () => {
    const routes = egressOf({
      ANTHROPIC_API_KEY: 'a',
      GOOGLE_GENERATIVE_AI_API_KEY: 'g',
      GROQ_API_KEY: 'q',
    })?.routes;
    expect(routes).toEqual([
      {
        prefix: '/anthropic',
        upstream: 'https://api.anthropic.com/v1',
        allowPaths: ['/messages', '/models'],
        check: { path: '/models', headers: { 'anthropic-version': '2023-06-01' } },
        setHeaders: { 'x-api-key': { env: 'ANTHROPIC_API_KEY' } },
        baseUrlEnv: 'OPENCODE_ANTHROPIC_BASE_URL',
        secretEnvKeys: ['ANTHROPIC_API_KEY'],
      },
      expect.objectContaining({
        prefix: '/groq',
        upstream: 'https://api.groq.com/openai/v1',
        setHeaders: { authorization: { env: 'GROQ_API_KEY', prefix: 'Bearer ' } },
      }),
      expect.objectContaining({
        prefix: '/google',
        upstream: 'https://generativelanguage.googleapis.com/v1beta',
        setHeaders: { 'x-goog-api-key': { env: 'GOOGLE_GENERATIVE_AI_API_KEY' } },
        baseUrlEnv: 'OPENCODE_GOOGLE_BASE_URL',
      }),
    ]);
    for (const key of ['OPENROUTER_API_KEY', 'DEEPSEEK_API_KEY']) {
      expect(egressOf({ [key]: 'k' })?.routes[0]?.secretEnvKeys).toEqual([key]);
    }
  });

  it('OPENAI_API_KEY alone is the openai vendor; with OPENAI_BASE_URL the nanoclaw endpoint gets a route too', () => {
    expect(egressOf({ OPENAI_API_KEY: 'k' })?.routes.map((r) => [r.prefix, r.baseUrlEnv])).toEqual([
      ['/openai', 'OPENCODE_OPENAI_BASE_URL'],
    ]);
    const both = egressOf({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' })?.routes;
    expect(both?.[0]).toEqual({
      prefix: '/nanoclaw',
      upstream: 'http://127.0.0.1:8000/v1',
      allowPaths: ['/chat/completions', '/responses', '/models'],
      check: { path: '/models' },
      baseUrlEnv: 'OPENAI_BASE_URL',
      setHeaders: { authorization: { env: 'OPENAI_API_KEY', prefix: 'Bearer ' } },
      secretEnvKeys: ['OPENAI_API_KEY'],
    });
    expect(both?.[1]?.prefix).toBe('/openai');
    expect(egressOf({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' })?.routes[0]?.setHeaders).toBeUndefined();
  });

  it('an opencode login is the named exception, with CONNECT to its provider hosts', () => {
    const { hostHome, auth } = hostWithLogin();
    expect(createOpencodeHostContribution({ hostHome }).egress?.({})).toEqual({
      routes: [],
      connectHosts: ['api.anthropic.com:443', 'console.anthropic.com:443'],
      exceptions: [
        {
          credential: `the opencode login for anthropic (${auth}, copied into the session)`,
          reason: 'opencode refreshes and sends those tokens itself',
        },
      ],
    });
  });
});
