import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EGRESS_PROXY_ENV_KEYS, type McpServerConfig } from '@nanoclaw/core';
import { OpencodeProviderError } from './errors.js';

/**
 * Env keys the host passes into the sandbox for this provider (when set). Documented in the README:
 * - `OPENCODE_MODEL`: the model, `provider/model` (e.g. `anthropic/claude-sonnet-4-5`) or a bare model id;
 * - `OPENCODE_PROVIDER`: the provider of a bare `OPENCODE_MODEL`;
 * - `OPENAI_BASE_URL` (+ `OPENAI_API_KEY`): any OpenAI-compatible Chat Completions endpoint, as provider
 *   `nanoclaw`;
 * - the vendor keys opencode's built-in providers read: `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`,
 *   `OPENROUTER_API_KEY`, `DEEPSEEK_API_KEY`, `GROQ_API_KEY`, `GOOGLE_GENERATIVE_AI_API_KEY`;
 * - `OPENCODE_MAX_RETRIES`: how many retries of a failing model request before the turn fails.
 */
export const OPENCODE_ENV_KEYS = [
  'OPENCODE_MODEL',
  'OPENCODE_PROVIDER',
  'OPENCODE_MAX_RETRIES',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'OPENROUTER_API_KEY',
  'DEEPSEEK_API_KEY',
  'GROQ_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
] as const;

/** Vendor API keys among `OPENCODE_ENV_KEYS`, by opencode provider id. */
export const VENDOR_KEYS: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  deepseek: 'DEEPSEEK_API_KEY',
  groq: 'GROQ_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
};

/**
 * Set by the host's egress proxy (never by users): the base URL of a vendor's route through the host, per
 * opencode provider id. The config points that built-in provider there (`provider.<id>.options.baseURL`).
 */
export const VENDOR_BASE_URL_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(VENDOR_KEYS).map((vendor) => [vendor, `OPENCODE_${vendor.toUpperCase()}_BASE_URL`]),
);

/** The provider id the config gives an `OPENAI_BASE_URL` endpoint. */
export const CUSTOM_PROVIDER_ID = 'nanoclaw';
/** Retries of a failing model request before the turn fails (opencode itself retries forever). */
export const DEFAULT_MAX_RETRIES = 2;
/** Context/output limits declared for a model of the custom endpoint (opencode needs them to budget). */
export const DEFAULT_MODEL_LIMITS = { context: 128_000, output: 8_192 } as const;

type Env = Readonly<Record<string, string | undefined>>;

export interface ModelRef {
  providerID: string;
  modelID: string;
}

/**
 * `provider/model` → both parts (the model id may contain further `/`, as OpenRouter's do); a bare model id
 * takes `OPENCODE_PROVIDER`, else `nanoclaw` when `OPENAI_BASE_URL` is set. Undefined: opencode's default.
 */
export function resolveModel(model: string | undefined, env: Env): ModelRef | undefined {
  const raw = model?.trim();
  if (!raw) return undefined;
  const slash = raw.indexOf('/');
  if (slash > 0 && slash < raw.length - 1)
    return { providerID: raw.slice(0, slash), modelID: raw.slice(slash + 1) };
  const providerID =
    env.OPENCODE_PROVIDER?.trim() || (env.OPENAI_BASE_URL?.trim() ? CUSTOM_PROVIDER_ID : undefined);
  if (!providerID) {
    throw new OpencodeProviderError(
      'invalid-config',
      `model "${raw}" names no provider: use provider/model, or set OPENCODE_PROVIDER or OPENAI_BASE_URL`,
    );
  }
  return { providerID, modelID: raw };
}

export interface OpencodeConfigInput {
  env: Env;
  model?: ModelRef;
  mcpServers?: Readonly<Record<string, McpServerConfig>>;
  modelLimits?: { context: number; output: number };
  /** Extra top-level keys, merged last (shallow). */
  extraConfig?: Readonly<Record<string, unknown>>;
}

/**
 * The JSON passed as `OPENCODE_CONFIG_CONTENT`: model, the custom endpoint provider, MCP servers, and the
 * settings that keep a sandboxed server quiet and non-interactive (every permission allowed, no autoupdate,
 * no sharing, no git snapshots).
 */
/**
 * The endpoint's model takes images: opencode then sends an image file part as an `image_url` data URL (without
 * it, opencode replaces the image with an error text before the request). A text-only model refuses the request.
 */
const IMAGE_INPUT = { attachment: true, modalities: { input: ['text', 'image'], output: ['text'] } };

export function buildOpencodeConfig(input: OpencodeConfigInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    $schema: 'https://opencode.ai/config.json',
    permission: 'allow',
    autoupdate: false,
    share: 'disabled',
    snapshot: false,
  };
  const { model, env } = input;
  if (model) {
    config.model = `${model.providerID}/${model.modelID}`;
    // Title generation and summaries use the same model, never another vendor's default small model.
    config.small_model = config.model;
  }
  const providers: Record<string, unknown> = {};
  for (const [vendor, key] of Object.entries(VENDOR_BASE_URL_ENV)) {
    const vendorBaseURL = env[key]?.trim();
    if (vendorBaseURL) providers[vendor] = { options: { baseURL: vendorBaseURL } };
  }
  const baseURL = env.OPENAI_BASE_URL?.trim();
  if (baseURL) {
    const limits = input.modelLimits ?? DEFAULT_MODEL_LIMITS;
    const models =
      model?.providerID === CUSTOM_PROVIDER_ID
        ? { [model.modelID]: { name: model.modelID, tool_call: true, ...IMAGE_INPUT, limit: { ...limits } } }
        : {};
    providers[CUSTOM_PROVIDER_ID] = {
      npm: '@ai-sdk/openai-compatible',
      name: 'NanoClaw endpoint',
      options: { baseURL, apiKey: env.OPENAI_API_KEY?.trim() || 'nanoclaw' },
      models,
    };
    if (model?.providerID === CUSTOM_PROVIDER_ID) config.enabled_providers = [CUSTOM_PROVIDER_ID];
  }
  if (Object.keys(providers).length > 0) config.provider = providers;
  const mcp = mcpConfig(input.mcpServers);
  if (mcp) config.mcp = mcp;
  return { ...config, ...input.extraConfig };
}

/**
 * NanoClaw MCP servers as opencode `mcp` entries: stdio → `local` (command + args), http → `remote`.
 * `toolTimeoutMs` → `timeout` (ms): opencode bounds each request to that server with it (tool calls, and also
 * connecting and listing); unset, a tool call ends after the MCP SDK's default 60 s.
 */
export function mcpConfig(
  servers: Readonly<Record<string, McpServerConfig>> | undefined,
): Record<string, unknown> | undefined {
  if (!servers || Object.keys(servers).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, server] of Object.entries(servers)) {
    const timeout = server.toolTimeoutMs === undefined ? {} : { timeout: server.toolTimeoutMs };
    if (server.type === 'http') {
      out[name] = {
        type: 'remote',
        url: server.url,
        headers: { ...server.headers },
        enabled: true,
        ...timeout,
      };
    } else {
      out[name] = {
        type: 'local',
        command: [server.command, ...(server.args ?? [])],
        environment: { ...server.env },
        enabled: true,
        ...timeout,
      };
    }
  }
  return out;
}

/** opencode's tool name for an MCP tool: `<server>_<tool>`, anything outside `[A-Za-z0-9_-]` as `_`. */
export function mcpToolName(server: string, tool: string): string {
  return `${sanitizeName(server)}_${sanitizeName(tool)}`;
}

export function sanitizeName(value: string): string {
  return value.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/**
 * Where the host puts the composed memory and the skills, relative to opencode's data dir (the part of HOME
 * kept per session; `~/.config/opencode` is not): the provider names them in opencode's config as `instructions`
 * (read like the global `AGENTS.md`) and `skills.paths` (scanned for every `SKILL.md` below it), see `agentContextConfig`.
 */
export const OPENCODE_AGENT_CONTEXT = {
  memoryFile: 'nanoclaw/AGENTS.md',
  skillsDir: 'nanoclaw/skills',
} as const;

/**
 * The config keys that point opencode at the host's composed memory and skills in `<data>/opencode`, for the ones
 * that exist (none when the host placed nothing, e.g. outside a sandbox).
 */
export function agentContextConfig(dataHome: string): Record<string, unknown> {
  const base = path.join(dataHome, 'opencode');
  const memory = path.join(base, OPENCODE_AGENT_CONTEXT.memoryFile);
  const skills = path.join(base, OPENCODE_AGENT_CONTEXT.skillsDir);
  return {
    ...(existsSync(memory) ? { instructions: [memory] } : {}),
    ...(existsSync(skills) ? { skills: { paths: [skills] } } : {}),
  };
}

/** Where opencode keeps its state (XDG base dirs; defaults under HOME as opencode resolves them). */
export interface OpencodeDirs {
  home: string;
  config: string;
  data: string;
  cache: string;
  state: string;
}

export function opencodeDirs(env: Env, home: string): OpencodeDirs {
  return {
    home,
    config: env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config'),
    data: env.XDG_DATA_HOME?.trim() || path.join(home, '.local', 'share'),
    cache: env.XDG_CACHE_HOME?.trim() || path.join(home, '.cache'),
    state: env.XDG_STATE_HOME?.trim() || path.join(home, '.local', 'state'),
  };
}

/**
 * Makes opencode's global config dir look already installed: opencode forks a background
 * `npm install @opencode-ai/plugin` for every config dir that lacks `node_modules/` plus a lock file listing
 * it (a registry lookup from inside the sandbox). Existing files are left alone.
 */
export async function seedConfigDir(configHome: string): Promise<void> {
  const dir = path.join(configHome, 'opencode');
  await fs.mkdir(path.join(dir, 'node_modules'), { recursive: true });
  const lock = path.join(dir, 'package-lock.json');
  const seed = { packages: { '': { dependencies: { '@opencode-ai/plugin': '*' } } } };
  await fs
    .writeFile(lock, `${JSON.stringify(seed)}\n`, { flag: 'wx' })
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
}

/**
 * Non-secret basics passed to the server (and so to the commands it runs) when the session env has them; the
 * egress proxy's variables included, so opencode and the agent's commands reach the internet through the host.
 */
const BASIC_ENV_KEYS = [
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TERM',
  'USER',
  'SHELL',
  ...EGRESS_PROXY_ENV_KEYS,
] as const;

/** Flags that keep opencode from calling home: the models.dev catalog, autoupdate, sharing, LSP downloads. */
export const OFFLINE_FLAGS: Readonly<Record<string, string>> = {
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1',
};

/**
 * The server's complete env, built from scratch (never `process.env`): PATH, HOME, the XDG dirs, the config,
 * the offline flags, the basics above and the allowlisted keys.
 */
export function buildChildEnv(
  env: Env,
  dirs: OpencodeDirs,
  config: Record<string, unknown>,
): Record<string, string> {
  const child: Record<string, string> = {
    PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    ...OFFLINE_FLAGS,
  };
  for (const key of [...BASIC_ENV_KEYS, ...OPENCODE_ENV_KEYS]) {
    const value = env[key];
    if (value !== undefined && value !== '') child[key] = value;
  }
  return child;
}

/** `OPENCODE_MAX_RETRIES` as a non-negative integer, else the default. */
export function maxRetriesFromEnv(env: Env): number {
  const raw = env.OPENCODE_MAX_RETRIES?.trim();
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isInteger(value) && value >= 0 ? value : DEFAULT_MAX_RETRIES;
}
