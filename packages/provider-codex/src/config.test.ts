import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCodexBinary } from './binary.js';
import { buildCodexConfig, endpointTuningFromEnv, renderCodexConfig, resolveAuthMode } from './config.js';
import { createCodexHostContribution } from './host.js';
import { createCodexProvider } from './provider.js';
import { cleanupTempDirs, tempDir } from './test-utils.js';

afterEach(() => cleanupTempDirs());

const chatgptAuth = {
  OPENAI_API_KEY: null,
  tokens: {
    id_token: 'eyJ.fake.token',
    access_token: 'at-fake',
    refresh_token: 'rt-fake',
    account_id: 'acct-1',
  },
  last_refresh: '2025-01-01T00:00:00Z',
};

/** A host with `~/.codex/{auth.json,config.toml}` and a sandbox session home, as the container runner has. */
function setup(options: { hostLogin?: unknown } = {}) {
  const root = tempDir();
  const hostHome = path.join(root, 'host-home');
  const hostCodex = path.join(hostHome, '.codex');
  fs.mkdirSync(hostCodex, { recursive: true });
  const hostConfig = 'model = "host-model"\n';
  fs.writeFileSync(path.join(hostCodex, 'config.toml'), hostConfig);
  if (options.hostLogin !== undefined) {
    fs.writeFileSync(path.join(hostCodex, 'auth.json'), JSON.stringify(options.hostLogin), { mode: 0o644 });
  }
  const sandboxHome = path.join(root, 'sandbox-home');
  const sessionCodexHome = path.join(sandboxHome, '.codex');
  const host = createCodexHostContribution({ hostHome });
  return { root, hostHome, hostCodex, hostConfig, sandboxHome, sessionCodexHome, host };
}

function readToml(file: string): Record<string, unknown> {
  return parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** `codex app-server --strict-config --print-startup-config` against a CODEX_HOME: exit code and output. */
function strictConfig(codexHome: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      resolveCodexBinary(),
      ['app-server', '--strict-config', '--print-startup-config'],
      { env: { PATH: process.env.PATH ?? '', HOME: path.dirname(codexHome), CODEX_HOME: codexHome } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Starts app-server on `codexHome` and asks `account/read`: how Codex itself sees the credentials. */
async function codexAccount(codexHome: string, env: Record<string, string> = {}): Promise<unknown> {
  const child = spawn(resolveCodexBinary(), ['app-server'], {
    env: { PATH: process.env.PATH ?? '', HOME: path.dirname(codexHome), CODEX_HOME: codexHome, ...env },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout });
  const answer = new Promise<unknown>((resolve) => {
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { id?: unknown; result?: unknown };
      if (message.id === 2) resolve(message.result);
    });
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({
    id: 1,
    method: 'initialize',
    params: { clientInfo: { name: 't', title: null, version: '0' }, capabilities: null },
  });
  send({ method: 'initialized' });
  send({ id: 2, method: 'account/read', params: { refreshToken: false } });
  try {
    return await answer;
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

describe('auth modes', () => {
  it('A: a ChatGPT login is copied from the host (0600) and wins over a key and a base URL', async () => {
    const world = setup({ hostLogin: chatgptAuth });
    await world.host.prepareHome?.({ homePath: world.sessionCodexHome, env: {} });
    const sessionAuth = path.join(world.sessionCodexHome, 'auth.json');
    expect(JSON.parse(fs.readFileSync(sessionAuth, 'utf8'))).toEqual(chatgptAuth);
    expect(mode(sessionAuth)).toBe(0o600);

    const provider = createCodexProvider({ checkVersion: false });
    const plan = await provider.describeSession({
      cwd: world.root,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: world.sandboxHome,
        OPENAI_API_KEY: 'sk-ignored',
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        CODEX_MODEL: 'gpt-5.4',
      },
    });
    expect(plan.authMode).toBe('subscription');
    expect(plan.codexHome).toBe(world.sessionCodexHome);
    // The login is untouched, and config.toml uses the built-in OpenAI provider.
    expect(JSON.parse(fs.readFileSync(sessionAuth, 'utf8'))).toEqual(chatgptAuth);
    const config = readToml(plan.configPath);
    expect(config.model).toBe('gpt-5.4');
    expect(config.model_provider).toBeUndefined();
    expect(config.model_providers).toBeUndefined();
    // The host's Codex directory was only read.
    expect(fs.readFileSync(path.join(world.hostCodex, 'config.toml'), 'utf8')).toBe(world.hostConfig);
    expect(fs.readdirSync(world.hostCodex).sort()).toEqual(['auth.json', 'config.toml']);
    expect((await strictConfig(world.sessionCodexHome)).code).toBe(0);
    expect(world.host.describeCredentials({ OPENAI_API_KEY: 'sk' })).toMatch(
      /ChatGPT subscription.*wins over OPENAI_API_KEY/,
    );
  });

  it('A: a session copy Codex refreshed is kept; a newer host login replaces it', async () => {
    const world = setup({ hostLogin: chatgptAuth });
    const sessionAuth = path.join(world.sessionCodexHome, 'auth.json');
    await world.host.prepareHome?.({ homePath: world.sessionCodexHome, env: {} });
    const refreshed = { ...chatgptAuth, last_refresh: '2025-06-01T00:00:00Z' };
    fs.writeFileSync(sessionAuth, JSON.stringify(refreshed));
    await world.host.prepareHome?.({ homePath: world.sessionCodexHome, env: {} });
    expect(JSON.parse(fs.readFileSync(sessionAuth, 'utf8'))).toEqual(refreshed);

    const relogin = { ...chatgptAuth, last_refresh: '2025-07-01T00:00:00Z' };
    const hostAuth = path.join(world.hostCodex, 'auth.json');
    fs.writeFileSync(hostAuth, JSON.stringify(relogin));
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(hostAuth, later, later);
    await world.host.prepareHome?.({ homePath: world.sessionCodexHome, env: {} });
    expect(JSON.parse(fs.readFileSync(sessionAuth, 'utf8'))).toEqual(relogin);
    expect(mode(sessionAuth)).toBe(0o600);
  });

  it('B: OPENAI_API_KEY + CODEX_MODEL become an API-key auth.json (0600) Codex accepts', async () => {
    const world = setup();
    await world.host.prepareHome?.({ homePath: world.sessionCodexHome, env: {} });
    expect(fs.existsSync(path.join(world.sessionCodexHome, 'auth.json'))).toBe(false);
    const provider = createCodexProvider({ checkVersion: false });
    const plan = await provider.describeSession({
      cwd: world.root,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: world.sandboxHome,
        OPENAI_API_KEY: 'sk-test-b',
        CODEX_MODEL: 'gpt-5.4-mini',
      },
    });
    expect(plan.authMode).toBe('api-key');
    const authFile = path.join(world.sessionCodexHome, 'auth.json');
    expect(JSON.parse(fs.readFileSync(authFile, 'utf8'))).toEqual({
      auth_mode: 'apikey',
      OPENAI_API_KEY: 'sk-test-b',
    });
    expect(mode(authFile)).toBe(0o600);
    const config = readToml(plan.configPath);
    expect(config.model).toBe('gpt-5.4-mini');
    expect(config.model_provider).toBeUndefined();
    expect(plan.childEnv).toMatchObject({ OPENAI_API_KEY: 'sk-test-b', CODEX_MODEL: 'gpt-5.4-mini' });
    expect((await strictConfig(world.sessionCodexHome)).code).toBe(0);
    expect(await codexAccount(world.sessionCodexHome)).toMatchObject({ account: { type: 'apiKey' } });
    expect(world.host.describeCredentials({ OPENAI_API_KEY: 'sk', CODEX_MODEL: 'gpt-5.4-mini' })).toBe(
      'OPENAI_API_KEY (API billing), model gpt-5.4-mini',
    );
  });

  it('C: OPENAI_BASE_URL gets a custom Responses provider (env_key only with a key), no auth.json', async () => {
    const world = setup();
    const provider = createCodexProvider({ checkVersion: false });
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: world.sandboxHome,
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
    };

    const keyless = await provider.describeSession({ cwd: world.root, env });
    expect(keyless.authMode).toBe('endpoint');
    let config = readToml(keyless.configPath);
    expect(config.model_provider).toBe('nanoclaw');
    expect(config.model_providers).toEqual({
      nanoclaw: {
        name: 'NanoClaw endpoint',
        base_url: 'http://127.0.0.1:8000/v1',
        wire_api: 'responses',
        requires_openai_auth: false,
      },
    });
    expect((await strictConfig(world.sessionCodexHome)).code).toBe(0);

    const keyed = await provider.describeSession({
      cwd: world.root,
      env: { ...env, OPENAI_API_KEY: 'sk-c' },
    });
    config = readToml(keyed.configPath);
    expect((config.model_providers as Record<string, Record<string, unknown>>).nanoclaw).toMatchObject({
      env_key: 'OPENAI_API_KEY',
      requires_openai_auth: false,
    });
    expect(fs.existsSync(path.join(world.sessionCodexHome, 'auth.json'))).toBe(false);
    expect(keyed.childEnv.OPENAI_API_KEY).toBe('sk-c');
    expect((await strictConfig(world.sessionCodexHome)).code).toBe(0);
    expect(world.host.describeCredentials(env)).toBe(
      'OpenAI-compatible endpoint http://127.0.0.1:8000/v1 (without a key)',
    );

    // CODEX_MODEL is process-wide; the session's model and effort override it.
    const perSession = await provider.describeSession({
      cwd: world.root,
      env: { ...env, CODEX_MODEL: 'process-model' },
      model: 'session-model',
      reasoningEffort: 'low',
    });
    expect(readToml(perSession.configPath)).toMatchObject({
      model: 'session-model',
      model_reasoning_effort: 'low',
    });
  });

  it('no credentials: mode none, and describeCredentials says null', async () => {
    const world = setup();
    expect(resolveAuthMode({})).toBe('none');
    expect(world.host.describeCredentials({})).toBeNull();
    expect(world.host.envAllowlist).toEqual([
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'CODEX_MODEL',
      'CODEX_COMPACT_THRESHOLD_TOKENS',
      'CODEX_MAX_RETRIES',
    ]);
    expect(world.host.homeDir).toBe('.codex');
  });
});

describe('config.toml', () => {
  it('passes --strict-config with MCP servers (stdio and http), effort and awkward strings', async () => {
    const codexHome = path.join(tempDir(), '.codex');
    fs.mkdirSync(codexHome);
    const config = buildCodexConfig({
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', CODEX_MODEL: 'model "quoted" \\ back' },
      reasoningEffort: 'high',
      endpoint: { requestMaxRetries: 0, streamMaxRetries: 0, streamIdleTimeoutMs: 20_000 },
      mcpServers: {
        echo: {
          type: 'stdio',
          command: process.execPath,
          args: ['--flag=a b', "it's"],
          env: { NOTE: 'line\nbreak "and" quotes' },
        },
        web: { type: 'http', url: 'http://127.0.0.1:1/mcp', headers: { 'X-Token': 'abc' } },
      },
    });
    const toml = renderCodexConfig(config);
    fs.writeFileSync(path.join(codexHome, 'config.toml'), toml);
    const parsed = parse(toml) as Record<string, unknown>;
    expect(parsed.model).toBe('model "quoted" \\ back');
    expect(parsed.model_reasoning_effort).toBe('high');
    expect(parsed.mcp_servers).toMatchObject({
      echo: { args: ['--flag=a b', "it's"], env: { NOTE: 'line\nbreak "and" quotes' } },
      web: { url: 'http://127.0.0.1:1/mcp', http_headers: { 'X-Token': 'abc' } },
    });
    expect(parsed).toMatchObject({
      approval_policy: 'never',
      sandbox_mode: 'danger-full-access',
      check_for_update_on_startup: false,
      analytics: { enabled: false },
      feedback: { enabled: false },
      features: { plugins: false },
      otel: { exporter: 'none', trace_exporter: 'none', metrics_exporter: 'none' },
    });
    const result = await strictConfig(codexHome);
    expect(result.output).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  });

  it('writes toolTimeoutMs as tool_timeout_sec (seconds, rounded up), only where set, and passes --strict-config', async () => {
    const codexHome = path.join(tempDir(), '.codex');
    fs.mkdirSync(codexHome);
    const toml = renderCodexConfig(
      buildCodexConfig({
        env: {},
        mcpServers: {
          ask: { type: 'stdio', command: 'node', args: [], env: {}, toolTimeoutMs: 3_900_000 },
          web: { type: 'http', url: 'http://127.0.0.1:1/mcp', headers: {}, toolTimeoutMs: 1_500 },
          plain: { type: 'stdio', command: 'node', args: [], env: {} },
        },
      }),
    );
    fs.writeFileSync(path.join(codexHome, 'config.toml'), toml);
    const servers = (parse(toml) as { mcp_servers: Record<string, Record<string, unknown>> }).mcp_servers;
    expect(servers.ask?.tool_timeout_sec).toBe(3_900);
    expect(servers.web?.tool_timeout_sec).toBe(2);
    expect(servers.plain).not.toHaveProperty('tool_timeout_sec');
    const result = await strictConfig(codexHome);
    expect(result.output).not.toMatch(/error/i);
    expect(result.code).toBe(0);
  });

  it('the strict check does catch a bad config (the validation is real)', async () => {
    const codexHome = path.join(tempDir(), '.codex');
    fs.mkdirSync(codexHome);
    fs.writeFileSync(path.join(codexHome, 'config.toml'), 'approval_policy = "never"\nnot_a_codex_key = 1\n');
    const result = await strictConfig(codexHome);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/not_a_codex_key/);
  });

  it('CODEX_MAX_RETRIES sets the custom endpoint retries; a bad value names the key', () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', CODEX_MAX_RETRIES: '0' };
    const config = buildCodexConfig({ env, endpoint: endpointTuningFromEnv(env) });
    expect(config.model_providers).toMatchObject({
      nanoclaw: { request_max_retries: 0, stream_max_retries: 0 },
    });
    expect(endpointTuningFromEnv({})).toBeUndefined();
    expect(() => endpointTuningFromEnv({ CODEX_MAX_RETRIES: 'many' })).toThrow(/CODEX_MAX_RETRIES/);
  });

  it('rejects MCP server names Codex cannot use as TOML keys', () => {
    expect(() =>
      buildCodexConfig({
        env: {},
        mcpServers: { 'bad name': { type: 'stdio', command: 'x', args: [], env: {} } },
      }),
    ).toThrow(/MCP server name/);
  });
});

describe('egress: model traffic through the host', () => {
  const authFileOf = (hostHome: string) => path.join(hostHome, '.codex', 'auth.json');

  it('C: a route to OPENAI_BASE_URL that adds the key as a bearer token; keyless endpoints get none', () => {
    const { host } = setup();
    expect(host.egress?.({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', OPENAI_API_KEY: 'sk-x' })).toEqual({
      routes: [
        {
          prefix: '/openai',
          upstream: 'http://127.0.0.1:8000/v1',
          allowPaths: ['/responses', '/chat/completions', '/models'],
          check: { path: '/models' },
          baseUrlEnv: 'OPENAI_BASE_URL',
          setHeaders: { authorization: { env: 'OPENAI_API_KEY', prefix: 'Bearer ' } },
          secretEnvKeys: ['OPENAI_API_KEY'],
        },
      ],
    });
    const keyless = host.egress?.({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' });
    expect(keyless?.routes[0]?.setHeaders).toBeUndefined();
    expect(keyless?.routes[0]?.secretEnvKeys).toBeUndefined();
  });

  it('B: OPENAI_API_KEY, or the key of an API-key login, reaches OpenAI through CODEX_OPENAI_BASE_URL', async () => {
    const fromEnv = setup().host.egress?.({ OPENAI_API_KEY: 'sk-x' });
    expect(fromEnv?.routes).toEqual([
      expect.objectContaining({
        upstream: 'https://api.openai.com/v1',
        baseUrlEnv: 'CODEX_OPENAI_BASE_URL',
        setHeaders: { authorization: { env: 'OPENAI_API_KEY', prefix: 'Bearer ' } },
        secretEnvKeys: ['OPENAI_API_KEY'],
      }),
    ]);
    const { host, hostHome } = setup({ hostLogin: { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-login' } });
    expect(host.egress?.({})?.routes[0]?.setHeaders).toEqual({
      authorization: { file: authFileOf(hostHome), jsonKey: 'OPENAI_API_KEY', prefix: 'Bearer ' },
    });
    // In the sandbox the placeholder keeps mode B, and the built-in provider is pointed at the route.
    const config = buildCodexConfig({
      env: { OPENAI_API_KEY: 'placeholder', CODEX_OPENAI_BASE_URL: 'http://127.0.0.1:3128/openai' },
    });
    expect(config.openai_base_url).toBe('http://127.0.0.1:3128/openai');
    expect(config.model_provider).toBeUndefined();
    const codexHome = path.join(tempDir(), '.codex');
    fs.mkdirSync(codexHome);
    fs.writeFileSync(path.join(codexHome, 'config.toml'), renderCodexConfig(config));
    expect((await strictConfig(codexHome)).code).toBe(0);
  });

  it('A: a ChatGPT login has no route: CONNECT to its hosts, and the login is the named exception', () => {
    const { host, hostHome } = setup({ hostLogin: chatgptAuth });
    expect(host.egress?.({ OPENAI_API_KEY: 'sk-shadowed' })).toEqual({
      routes: [],
      connectHosts: ['chatgpt.com:443', 'auth.openai.com:443'],
      exceptions: [
        {
          credential: `the ChatGPT login (${authFileOf(hostHome)}, copied into the session's Codex home)`,
          reason: 'Codex refreshes its tokens itself and sends them to chatgpt.com',
        },
      ],
    });
    expect(setup().host.egress?.({})).toEqual({ routes: [] });
  });

  it('behind the proxy prepareHome copies a ChatGPT login only, and removes a key an earlier copy left', async () => {
    const apiLogin = setup({ hostLogin: { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-login' } });
    fs.mkdirSync(apiLogin.sessionCodexHome, { recursive: true });
    fs.writeFileSync(path.join(apiLogin.sessionCodexHome, 'auth.json'), '{"OPENAI_API_KEY":"sk-login"}');
    await apiLogin.host.prepareHome?.({ homePath: apiLogin.sessionCodexHome, env: {}, egress: true });
    expect(fs.existsSync(path.join(apiLogin.sessionCodexHome, 'auth.json'))).toBe(false);
    // Without the proxy (the process runtime) the login is copied as before.
    await apiLogin.host.prepareHome?.({ homePath: apiLogin.sessionCodexHome, env: {} });
    expect(fs.readFileSync(path.join(apiLogin.sessionCodexHome, 'auth.json'), 'utf8')).toContain('sk-login');

    const chatgpt = setup({ hostLogin: chatgptAuth });
    await chatgpt.host.prepareHome?.({ homePath: chatgpt.sessionCodexHome, env: {}, egress: true });
    expect(JSON.parse(fs.readFileSync(path.join(chatgpt.sessionCodexHome, 'auth.json'), 'utf8'))).toEqual(
      chatgptAuth,
    );
  });
});
