import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  agentContextConfig,
  buildChildEnv,
  buildOpencodeConfig,
  CUSTOM_PROVIDER_ID,
  DEFAULT_MAX_RETRIES,
  maxRetriesFromEnv,
  mcpConfig,
  mcpToolName,
  OPENCODE_AGENT_CONTEXT,
  OPENCODE_ENV_KEYS,
  opencodeDirs,
  resolveModel,
  seedConfigDir,
} from './config.js';
import { OpencodeProviderError } from './errors.js';
import { cleanupTempDirs, tempDir } from './test-utils.js';

afterAll(cleanupTempDirs);

describe('resolveModel', () => {
  it('splits provider/model at the first slash', () => {
    expect(resolveModel('anthropic/claude-sonnet-4-5', {})).toEqual({
      providerID: 'anthropic',
      modelID: 'claude-sonnet-4-5',
    });
    expect(resolveModel('openrouter/meta/llama-3', {})).toEqual({
      providerID: 'openrouter',
      modelID: 'meta/llama-3',
    });
  });

  it('gives a bare model OPENCODE_PROVIDER, else the endpoint provider', () => {
    expect(resolveModel('gpt-x', { OPENCODE_PROVIDER: 'openai' })).toEqual({
      providerID: 'openai',
      modelID: 'gpt-x',
    });
    expect(resolveModel('fake', { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' })).toEqual({
      providerID: CUSTOM_PROVIDER_ID,
      modelID: 'fake',
    });
    expect(resolveModel(undefined, {})).toBeUndefined();
    expect(resolveModel('  ', {})).toBeUndefined();
  });

  it('rejects a bare model without any provider', () => {
    expect(() => resolveModel('claude', {})).toThrow(OpencodeProviderError);
    expect(() => resolveModel('claude', {})).toThrow(/names no provider/);
  });
});

describe('buildOpencodeConfig', () => {
  it('writes the custom endpoint provider, model, small model and quiet defaults', () => {
    const config = buildOpencodeConfig({
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-test' },
      model: { providerID: CUSTOM_PROVIDER_ID, modelID: 'm1' },
    });
    expect(config).toMatchObject({
      model: 'nanoclaw/m1',
      small_model: 'nanoclaw/m1',
      enabled_providers: ['nanoclaw'],
      permission: 'allow',
      autoupdate: false,
      share: 'disabled',
      snapshot: false,
      provider: {
        nanoclaw: {
          npm: '@ai-sdk/openai-compatible',
          options: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-test' },
          models: {
            m1: {
              name: 'm1',
              tool_call: true,
              attachment: true,
              modalities: { input: ['text', 'image'], output: ['text'] },
              limit: { context: 128_000, output: 8_192 },
            },
          },
        },
      },
    });
  });

  it('leaves providers to opencode for a built-in vendor, and merges extra keys last', () => {
    const config = buildOpencodeConfig({
      env: {},
      model: { providerID: 'anthropic', modelID: 'claude-sonnet-4-5' },
      extraConfig: { snapshot: true, instructions: ['AGENTS.md'] },
    });
    expect(config.provider).toBeUndefined();
    expect(config.enabled_providers).toBeUndefined();
    expect(config).toMatchObject({
      model: 'anthropic/claude-sonnet-4-5',
      snapshot: true,
      instructions: ['AGENTS.md'],
    });
  });

  it('points a vendor at its route through the host when the egress proxy set its base URL', () => {
    const config = buildOpencodeConfig({
      env: {
        OPENAI_API_KEY: 'placeholder',
        OPENCODE_OPENAI_BASE_URL: 'http://127.0.0.1:3128/openai',
        OPENCODE_ANTHROPIC_BASE_URL: 'http://127.0.0.1:3128/anthropic',
      },
      model: { providerID: 'openai', modelID: 'gpt-5' },
    });
    expect(config.provider).toEqual({
      openai: { options: { baseURL: 'http://127.0.0.1:3128/openai' } },
      anthropic: { options: { baseURL: 'http://127.0.0.1:3128/anthropic' } },
    });
    // OPENAI_API_KEY alone stays opencode's own openai provider: no custom endpoint, nothing disabled.
    expect(config.enabled_providers).toBeUndefined();
    expect(config.model).toBe('openai/gpt-5');
  });

  it('maps MCP servers: stdio → local command array, http → remote', () => {
    expect(mcpConfig(undefined)).toBeUndefined();
    expect(
      mcpConfig({
        echo: { type: 'stdio', command: '/usr/bin/node', args: ['server.mjs'], env: { A: '1' } },
        web: { type: 'http', url: 'http://127.0.0.1:5/mcp', headers: { authorization: 'Bearer x' } },
      }),
    ).toEqual({
      echo: {
        type: 'local',
        command: ['/usr/bin/node', 'server.mjs'],
        environment: { A: '1' },
        enabled: true,
      },
      web: {
        type: 'remote',
        url: 'http://127.0.0.1:5/mcp',
        headers: { authorization: 'Bearer x' },
        enabled: true,
      },
    });
  });

  it("writes a server's toolTimeoutMs as its opencode timeout (ms), only where set", () => {
    const mcp = mcpConfig({
      ask: { type: 'stdio', command: 'node', args: [], env: {}, toolTimeoutMs: 3_900_000 },
      web: { type: 'http', url: 'http://127.0.0.1:5/mcp', headers: {}, toolTimeoutMs: 1_500 },
      plain: { type: 'stdio', command: 'node', args: [], env: {} },
    }) as Record<string, Record<string, unknown>>;
    expect(mcp.ask?.timeout).toBe(3_900_000);
    expect(mcp.web?.timeout).toBe(1_500);
    expect(mcp.plain).not.toHaveProperty('timeout');
  });

  it('names MCP tools as opencode does', () => {
    expect(mcpToolName('echo', 'send_message')).toBe('echo_send_message');
    expect(mcpToolName('my.server', 'a b')).toBe('my_server_a_b');
  });
});

describe('buildChildEnv', () => {
  it('is built from scratch: XDG dirs, config, offline flags, basics (the egress proxy variables too) and allowlisted keys only', () => {
    const env = {
      PATH: '/bin',
      HOME: '/h',
      TMPDIR: '/t',
      OPENAI_API_KEY: 'sk',
      ANTHROPIC_API_KEY: '',
      SECRET_TOKEN: 'nope',
      HTTP_PROXY: 'http://proxy',
    };
    const child = buildChildEnv(env, opencodeDirs(env, '/h'), { model: 'a/b' });
    expect(child).toEqual({
      PATH: '/bin',
      HOME: '/h',
      TMPDIR: '/t',
      XDG_CONFIG_HOME: '/h/.config',
      XDG_DATA_HOME: '/h/.local/share',
      XDG_CACHE_HOME: '/h/.cache',
      XDG_STATE_HOME: '/h/.local/state',
      OPENCODE_CONFIG_CONTENT: '{"model":"a/b"}',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      OPENCODE_DISABLE_CLAUDE_CODE: '1',
      // The session env's proxy (the sandbox's egress relay): opencode and its commands go through the host.
      HTTP_PROXY: 'http://proxy',
      OPENAI_API_KEY: 'sk',
    });
  });

  it('keeps XDG dirs the session env sets', () => {
    expect(opencodeDirs({ XDG_DATA_HOME: '/data' }, '/h')).toMatchObject({
      data: '/data',
      config: '/h/.config',
    });
  });

  it('lists its allowlist explicitly', () => {
    expect(OPENCODE_ENV_KEYS).toContain('OPENCODE_MODEL');
    expect(OPENCODE_ENV_KEYS).toContain('OPENAI_BASE_URL');
    expect(OPENCODE_ENV_KEYS).toContain('ANTHROPIC_API_KEY');
    expect(OPENCODE_ENV_KEYS).not.toContain('PATH');
  });
});

describe('agentContextConfig', () => {
  it('names the memory and skills the host placed in the data dir as instructions and skills.paths', () => {
    const data = tempDir();
    expect(agentContextConfig(data)).toEqual({});
    const memory = path.join(data, 'opencode', OPENCODE_AGENT_CONTEXT.memoryFile);
    const skills = path.join(data, 'opencode', OPENCODE_AGENT_CONTEXT.skillsDir);
    fs.mkdirSync(skills, { recursive: true });
    fs.writeFileSync(memory, '# memory\n');
    expect(agentContextConfig(data)).toEqual({ instructions: [memory], skills: { paths: [skills] } });
  });
});

describe('seedConfigDir', () => {
  it('writes node_modules and a lock file listing the plugin, and keeps an existing lock', async () => {
    const config = tempDir();
    await seedConfigDir(config);
    const lock = path.join(config, 'opencode', 'package-lock.json');
    expect(fs.statSync(path.join(config, 'opencode', 'node_modules')).isDirectory()).toBe(true);
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toEqual({
      packages: { '': { dependencies: { '@opencode-ai/plugin': '*' } } },
    });
    fs.writeFileSync(lock, '{"mine":true}');
    await seedConfigDir(config);
    expect(fs.readFileSync(lock, 'utf8')).toBe('{"mine":true}');
  });
});

describe('maxRetriesFromEnv', () => {
  it('reads OPENCODE_MAX_RETRIES, else the default', () => {
    expect(maxRetriesFromEnv({ OPENCODE_MAX_RETRIES: '0' })).toBe(0);
    expect(maxRetriesFromEnv({ OPENCODE_MAX_RETRIES: '5' })).toBe(5);
    expect(maxRetriesFromEnv({ OPENCODE_MAX_RETRIES: '-1' })).toBe(DEFAULT_MAX_RETRIES);
    expect(maxRetriesFromEnv({})).toBe(DEFAULT_MAX_RETRIES);
  });
});
