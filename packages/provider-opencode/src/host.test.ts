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

const API_LOGIN = '{"anthropic":{"type":"api","key":"sk-ant-login"}}';
const OAUTH_LOGIN = '{"openai":{"type":"oauth","refresh":"rt","access":"at","expires":1}}';

function hostWithLogin(content = API_LOGIN) {
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

  it('an OAuth login is the named exception, with CONNECT to its provider hosts', () => {
    const { hostHome, auth } = hostWithLogin(OAUTH_LOGIN);
    expect(createOpencodeHostContribution({ hostHome }).egress?.({})).toEqual({
      routes: [],
      connectHosts: ['api.openai.com:443', 'chatgpt.com:443', 'auth.openai.com:443'],
      exceptions: [
        {
          credential: `the opencode login for openai (${auth}, copied into the session)`,
          reason:
            'opencode sends and refreshes those credentials itself (OAuth, or a provider without a host route)',
        },
      ],
    });
  });

  it('a plain API-key login is routed like an env key: the host reads the key from its auth.json', () => {
    const { hostHome, auth } = hostWithLogin(
      JSON.stringify({
        ...JSON.parse(API_LOGIN),
        ...JSON.parse(OAUTH_LOGIN),
        mistral: { type: 'api', key: 'm' },
      }),
    );
    const egress = createOpencodeHostContribution({ hostHome }).egress?.({});
    expect(egress?.routes).toEqual([
      {
        prefix: '/anthropic',
        upstream: 'https://api.anthropic.com/v1',
        allowPaths: ['/messages', '/models'],
        check: { path: '/models', headers: { 'anthropic-version': '2023-06-01' } },
        setHeaders: { 'x-api-key': { file: auth, jsonKey: ['anthropic', 'key'] } },
        baseUrlEnv: 'OPENCODE_ANTHROPIC_BASE_URL',
        secretEnvKeys: ['ANTHROPIC_API_KEY'],
      },
    ]);
    // OAuth, and a key of a provider the host has no route for, stay opencode's own.
    expect(egress?.exceptions?.[0]?.credential).toBe(
      `the opencode login for mistral, openai (${auth}, copied into the session)`,
    );
    expect(egress?.connectHosts).toEqual(['api.openai.com:443', 'chatgpt.com:443', 'auth.openai.com:443']);
  });

  it('an env key wins over a login of the same vendor', () => {
    const { hostHome } = hostWithLogin(API_LOGIN);
    const routes = createOpencodeHostContribution({ hostHome }).egress?.({ ANTHROPIC_API_KEY: 'a' })?.routes;
    expect(routes?.map((route) => route.setHeaders)).toEqual([{ 'x-api-key': { env: 'ANTHROPIC_API_KEY' } }]);
  });
});

describe('the session copy of the login in an isolated sandbox', () => {
  const prepare = async (hostHome: string, homePath: string, egress: boolean) => {
    await createOpencodeHostContribution({ hostHome }).prepareHome?.({ homePath, env: {}, egress });
    const copy = path.join(homePath, 'auth.json');
    return fs.existsSync(copy)
      ? (JSON.parse(fs.readFileSync(copy, 'utf8')) as Record<string, unknown>)
      : null;
  };
  const both = JSON.stringify({ ...JSON.parse(API_LOGIN), ...JSON.parse(OAUTH_LOGIN) });

  it('leaves out the API keys the host routes and keeps the OAuth login (0600)', async () => {
    const { hostHome } = hostWithLogin(both);
    const homePath = path.join(tempDir(), OPENCODE_HOME_DIR);
    expect(await prepare(hostHome, homePath, true)).toEqual(JSON.parse(OAUTH_LOGIN));
    expect(fs.statSync(path.join(homePath, 'auth.json')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(homePath, 'auth.json'), 'utf8')).not.toContain('sk-ant-login');
  });

  it('writes no copy when every login is routed, and strips a routed key from an older session copy', async () => {
    const { hostHome } = hostWithLogin(API_LOGIN);
    const homePath = path.join(tempDir(), OPENCODE_HOME_DIR);
    expect(await prepare(hostHome, homePath, true)).toBeNull();
    // A session from before (its copy newer than the host's, holding the key and a refreshed OAuth login).
    fs.writeFileSync(path.join(homePath, 'auth.json'), both);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(homePath, 'auth.json'), later, later);
    expect(await prepare(hostHome, homePath, true)).toEqual(JSON.parse(OAUTH_LOGIN));
  });

  it('the process runtime (no egress) still gets the whole login', async () => {
    const { hostHome } = hostWithLogin(both);
    const homePath = path.join(tempDir(), OPENCODE_HOME_DIR);
    expect(await prepare(hostHome, homePath, false)).toEqual(JSON.parse(both));
  });
});
