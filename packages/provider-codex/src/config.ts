import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { McpServerConfig } from '@nanoclaw/core';
import { stringify } from 'smol-toml';
import { CodexProviderError } from './errors.js';

/** Env keys the provider reads (and the host passes into the sandbox). */
export const CODEX_ENV_KEYS = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'CODEX_MODEL',
  'CODEX_COMPACT_THRESHOLD_TOKENS',
  'CODEX_MAX_RETRIES',
] as const;

/** The keys of `CODEX_ENV_KEYS` that hold a credential (`CODEX_COMPACT_THRESHOLD_TOKENS` counts tokens: not one). */
export const CODEX_CREDENTIAL_ENV_KEYS = ['OPENAI_API_KEY'] as const;

/**
 * Set by the host's egress proxy (never by users): where Codex's built-in OpenAI provider reaches OpenAI in mode
 * B, written as config `openai_base_url`. Unlike `OPENAI_BASE_URL` it keeps mode B (and OpenAI's own features).
 */
export const CODEX_OPENAI_BASE_URL_ENV = 'CODEX_OPENAI_BASE_URL';

/** The id of the custom model provider written for `OPENAI_BASE_URL` (mode C). */
export const CUSTOM_PROVIDER_ID = 'nanoclaw';

export const DEFAULT_COMPACT_THRESHOLD_TOKENS = 40_000;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * How the session authenticates:
 * - `subscription` (A): a ChatGPT login (`auth.json` with tokens) copied from the host;
 * - `api-key` (B): `OPENAI_API_KEY` against OpenAI, written to the session's `auth.json` as Codex's own
 *   `codex login --with-api-key` does (or an API-key `auth.json` copied from the host);
 * - `endpoint` (C): `OPENAI_BASE_URL` (+ optional key) through a custom `[model_providers.nanoclaw]`;
 * - `none`: nothing configured; turns will fail with Codex's auth error.
 * The subscription wins over B and C when both are present.
 */
export type CodexAuthMode = 'subscription' | 'api-key' | 'endpoint' | 'none';

/** Tuning of the custom endpoint provider (mode C); Codex's defaults apply to what is left out. */
export interface CodexEndpointTuning {
  /** Codex default 4 (with backoff). */
  requestMaxRetries?: number;
  /** Codex default 5. */
  streamMaxRetries?: number;
  /** Codex default 300000. */
  streamIdleTimeoutMs?: number;
}

export interface CodexConfigInput {
  /** The session env: `OPENAI_*`, `CODEX_MODEL`. */
  env: Env;
  /** What `auth.json` in the session's CODEX_HOME holds (parsed), if anything. */
  auth?: unknown;
  /** Overrides `CODEX_MODEL`. */
  model?: string;
  reasoningEffort?: string;
  mcpServers?: Readonly<Record<string, McpServerConfig>>;
  endpoint?: CodexEndpointTuning;
  /** Extra top-level config, merged last (shallow). Use sparingly; `--strict-config` rejects unknown keys. */
  extraConfig?: Readonly<Record<string, unknown>>;
}

/** True for an `auth.json` holding a ChatGPT login (as opposed to an API key). */
export function isSubscriptionAuth(auth: unknown): boolean {
  if (!isRecord(auth)) return false;
  if (auth.auth_mode === 'chatgpt' || auth.auth_mode === 'chatgptAuthTokens') return true;
  return isRecord(auth.tokens);
}

function authFileApiKey(auth: unknown): string | undefined {
  return isRecord(auth) && typeof auth.OPENAI_API_KEY === 'string' && auth.OPENAI_API_KEY !== ''
    ? auth.OPENAI_API_KEY
    : undefined;
}

/** Picks the auth mode from the env and the session's `auth.json` (see `CodexAuthMode`). */
export function resolveAuthMode(env: Env, auth?: unknown): CodexAuthMode {
  if (isSubscriptionAuth(auth)) return 'subscription';
  if (nonEmpty(env.OPENAI_BASE_URL)) return 'endpoint';
  if (nonEmpty(env.OPENAI_API_KEY) || authFileApiKey(auth)) return 'api-key';
  return 'none';
}

/**
 * `CODEX_MAX_RETRIES`: how often Codex retries a failed model request and a dropped stream on a custom endpoint
 * (mode C) before the turn fails; unset keeps Codex's defaults (4 and 5).
 */
export function endpointTuningFromEnv(env: Env): CodexEndpointTuning | undefined {
  const raw = env.CODEX_MAX_RETRIES?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 100) {
    throw new CodexProviderError(
      'invalid-config',
      `CODEX_MAX_RETRIES must be an integer from 0 to 100 (got ${JSON.stringify(raw)})`,
    );
  }
  return { requestMaxRetries: value, streamMaxRetries: value };
}

/** `CODEX_COMPACT_THRESHOLD_TOKENS` (default 40000; 0 disables). */
export function compactThresholdFromEnv(env: Env): number {
  const raw = env.CODEX_COMPACT_THRESHOLD_TOKENS?.trim();
  if (!raw) return DEFAULT_COMPACT_THRESHOLD_TOKENS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new CodexProviderError(
      'invalid-config',
      `CODEX_COMPACT_THRESHOLD_TOKENS must be a non-negative integer (got ${JSON.stringify(raw)})`,
    );
  }
  return value;
}

/**
 * The session's `config.toml` as data (`renderCodexConfig` turns it into TOML). Everything that reaches the
 * network on its own is off: plugins (curated-plugin sync dials github.com and chatgpt.com), update checks,
 * analytics, feedback, OTEL, web search. Approvals never, sandbox off: the NanoClaw sandbox is the boundary.
 */
export function buildCodexConfig(input: CodexConfigInput): Record<string, unknown> {
  const { env } = input;
  const mode = resolveAuthMode(env, input.auth);
  const model = nonEmpty(input.model) ?? nonEmpty(env.CODEX_MODEL);
  const config: Record<string, unknown> = {};
  if (model) config.model = model;
  if (input.reasoningEffort) config.model_reasoning_effort = input.reasoningEffort;
  if (mode === 'endpoint') config.model_provider = CUSTOM_PROVIDER_ID;
  const openaiBaseUrl = nonEmpty(env[CODEX_OPENAI_BASE_URL_ENV]);
  if (mode === 'api-key' && openaiBaseUrl) config.openai_base_url = openaiBaseUrl;
  Object.assign(config, {
    approval_policy: 'never',
    sandbox_mode: 'danger-full-access',
    check_for_update_on_startup: false,
    web_search: 'disabled',
    analytics: { enabled: false },
    feedback: { enabled: false },
    features: {
      plugins: false,
      remote_plugin: false,
      apps: false,
      tool_suggest: false,
      skill_mcp_dependency_install: false,
      in_app_updates: false,
    },
    otel: { exporter: 'none', trace_exporter: 'none', metrics_exporter: 'none' },
  });
  if (mode === 'endpoint') {
    const tuning = input.endpoint ?? {};
    const provider: Record<string, unknown> = {
      // Never "OpenAI": that name switches on remote compaction (`/responses/compact`).
      name: 'NanoClaw endpoint',
      base_url: env.OPENAI_BASE_URL?.trim(),
      wire_api: 'responses',
      requires_openai_auth: false,
    };
    // Codex sends `Authorization: Bearer $OPENAI_API_KEY` only when the key is set; keyless local servers work.
    if (nonEmpty(env.OPENAI_API_KEY)) provider.env_key = 'OPENAI_API_KEY';
    if (tuning.requestMaxRetries !== undefined) provider.request_max_retries = tuning.requestMaxRetries;
    if (tuning.streamMaxRetries !== undefined) provider.stream_max_retries = tuning.streamMaxRetries;
    if (tuning.streamIdleTimeoutMs !== undefined)
      provider.stream_idle_timeout_ms = tuning.streamIdleTimeoutMs;
    config.model_providers = { [CUSTOM_PROVIDER_ID]: provider };
  }
  const servers = Object.entries(input.mcpServers ?? {});
  if (servers.length > 0) {
    config.mcp_servers = Object.fromEntries(
      servers.map(([name, server]) => [name, mcpServerEntry(name, server)]),
    );
  }
  return { ...config, ...input.extraConfig };
}

function mcpServerEntry(name: string, server: McpServerConfig): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new CodexProviderError(
      'invalid-config',
      `MCP server name ${JSON.stringify(name)} is not [A-Za-z0-9_-]`,
    );
  }
  // Codex's `tool_timeout_sec` (seconds, default 60) bounds one tool call; rounded up so it is never shorter.
  const timeout =
    server.toolTimeoutMs === undefined ? {} : { tool_timeout_sec: Math.ceil(server.toolTimeoutMs / 1000) };
  if (server.type === 'http') {
    const headers = server.headers ?? {};
    return {
      url: server.url,
      ...(Object.keys(headers).length > 0 ? { http_headers: headers } : {}),
      ...timeout,
    };
  }
  const env = server.env ?? {};
  return {
    command: server.command,
    args: [...(server.args ?? [])],
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...timeout,
  };
}

/** TOML through smol-toml: no hand escaping anywhere. */
export function renderCodexConfig(config: Record<string, unknown>): string {
  const undefinedFree = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  return `# Written by @nanoclaw/provider-codex for this session; rewritten on every start.\n${stringify(undefinedFree)}\n`;
}

export interface WriteCodexHomeOptions extends Omit<CodexConfigInput, 'auth'> {
  codexHome: string;
}

export interface WrittenCodexHome {
  mode: CodexAuthMode;
  configPath: string;
  config: Record<string, unknown>;
}

/**
 * Prepares the session's CODEX_HOME inside the sandbox: reads `auth.json` (copied from the host for mode A),
 * writes `auth.json` for mode B from `OPENAI_API_KEY` (0600; never over a subscription login), and writes
 * `config.toml`.
 */
export async function writeCodexHome(options: WriteCodexHomeOptions): Promise<WrittenCodexHome> {
  const { codexHome, env } = options;
  await fs.mkdir(codexHome, { recursive: true, mode: 0o700 });
  const authPath = path.join(codexHome, 'auth.json');
  const auth = await readJson(authPath);
  const mode = resolveAuthMode(env, auth);
  const key = nonEmpty(env.OPENAI_API_KEY);
  if (mode === 'api-key' && key && authFileApiKey(auth) !== key) {
    await writePrivate(
      authPath,
      `${JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: key }, null, 2)}\n`,
    );
  }
  const config = buildCodexConfig({ ...options, auth });
  const configPath = path.join(codexHome, 'config.toml');
  await writePrivate(configPath, renderCodexConfig(config));
  return { mode, configPath, config };
}

/** Writes `content` with mode 0600 through a temp file + rename (no half-written file, no wider mode). */
export async function writePrivate(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, content, { mode: 0o600 });
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, file);
}

export async function readJson(file: string): Promise<unknown> {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
