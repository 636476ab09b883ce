import os from 'node:os';
import path from 'node:path';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentProvider,
  EGRESS_PROXY_ENV_KEYS,
  type Logger,
  type SessionOptions,
} from '@nanoclaw/core';
import { silentLogger } from '@nanoclaw/provider-utils';
import { checkCodexVersion, resolveCodexBinary } from './binary.js';
import {
  CODEX_ENV_KEYS,
  type CodexAuthMode,
  type CodexEndpointTuning,
  compactThresholdFromEnv,
  endpointTuningFromEnv,
  writeCodexHome,
} from './config.js';
import { isCodexSessionInvalid } from './errors.js';
import { type CodexAgentSession, createCodexSession } from './session.js';

export interface CodexProviderOptions {
  /** Provider id (default `codex`). */
  id?: string;
  /** The codex binary; default `CODEX_BIN` (session env, then process env), else the pinned platform binary. */
  codexBin?: string;
  /** The session's CODEX_HOME; default `CODEX_HOME` of the session env, else `$HOME/.codex`. */
  codexHome?: string | ((options: SessionOptions) => string);
  /** Default model when the session names none; `CODEX_MODEL` otherwise (Codex's own default without both). */
  model?: string;
  /**
   * Compact between turns once `tokenUsage.total.inputTokens` grew this much since the last compaction.
   * Default `CODEX_COMPACT_THRESHOLD_TOKENS` of the session env, else 40000; 0 disables.
   */
  compactThresholdTokens?: number;
  /** Give up on a compaction after this long (default 10 min); the run continues uncompacted. */
  compactTimeoutMs?: number;
  /** How long to wait for Codex to end an interrupted turn before ending it locally (default 10 s). */
  interruptTimeoutMs?: number;
  /** Max time from spawn to the `initialize` answer (default 30 s). */
  startTimeoutMs?: number;
  /** Max time for the answer to any other request (default 120 s); the turn itself has no limit here. */
  requestTimeoutMs?: number;
  /** Retries and timeouts of the custom endpoint provider (mode C). */
  endpoint?: CodexEndpointTuning;
  /** Extra top-level `config.toml` keys, merged last. */
  extraConfig?: Readonly<Record<string, unknown>>;
  /** How `SessionOptions.instructions` reach Codex (default `base`: they replace Codex's base instructions). */
  instructionsAs?: 'base' | 'developer';
  /** `clientInfo.name` (the `originator` header; default `nanoclaw`). */
  clientName?: string;
  /** Warn when `codex --version` is not `CODEX_VERSION` (default true). */
  checkVersion?: boolean;
  /** Used when the session brings no logger. */
  logger?: Logger;
}

export interface CodexProvider extends AgentProvider {
  startSession(options: SessionOptions): Promise<CodexAgentSession>;
  /** What `startSession` would run with for these options: binary, CODEX_HOME, env and auth mode. */
  describeSession(options: SessionOptions): Promise<CodexSessionPlan>;
}

export interface CodexSessionPlan {
  binary: string;
  codexHome: string;
  childEnv: Record<string, string>;
  authMode: CodexAuthMode;
  configPath: string;
  config: Record<string, unknown>;
  compactThresholdTokens: number;
  model: string | undefined;
}

/**
 * Non-secret basics passed to app-server (and so to the commands it runs) when the session env has them; the
 * egress proxy's variables included, so Codex and the agent's commands reach the internet through the host.
 */
const BASIC_ENV_KEYS = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', ...EGRESS_PROXY_ENV_KEYS] as const;

/**
 * Codex as an `AgentProvider`: one `codex app-server` per session, JSON-RPC over stdio. Resume uses the
 * thread id as continuation; compaction runs between turns at the threshold; approvals are never asked.
 */
export function createCodexProvider(providerOptions: CodexProviderOptions = {}): CodexProvider {
  const id = providerOptions.id ?? 'codex';

  const plan = async (options: SessionOptions): Promise<CodexSessionPlan> => {
    const env = options.env ?? stringEnv(process.env);
    const binary =
      providerOptions.codexBin ??
      resolveCodexBinary({ env: { CODEX_BIN: env.CODEX_BIN ?? process.env.CODEX_BIN } });
    const home = env.HOME ?? os.homedir();
    const codexHome =
      typeof providerOptions.codexHome === 'function'
        ? providerOptions.codexHome(options)
        : (providerOptions.codexHome ?? (env.CODEX_HOME || path.join(home, '.codex')));
    const model = options.model ?? providerOptions.model ?? (env.CODEX_MODEL?.trim() || undefined);
    const written = await writeCodexHome({
      codexHome,
      env,
      ...(model ? { model } : {}),
      ...(options.reasoningEffort ? { reasoningEffort: options.reasoningEffort } : {}),
      ...(options.mcpServers ? { mcpServers: options.mcpServers } : {}),
      ...endpointOption(providerOptions.endpoint ?? endpointTuningFromEnv(env)),
      ...(providerOptions.extraConfig ? { extraConfig: providerOptions.extraConfig } : {}),
    });
    const childEnv: Record<string, string> = {
      PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      CODEX_HOME: codexHome,
      RUST_LOG: 'warn',
    };
    for (const key of [...BASIC_ENV_KEYS, ...CODEX_ENV_KEYS]) {
      const value = env[key];
      if (value !== undefined && value !== '') childEnv[key] = value;
    }
    return {
      binary,
      codexHome,
      childEnv,
      authMode: written.mode,
      configPath: written.configPath,
      config: written.config,
      compactThresholdTokens: providerOptions.compactThresholdTokens ?? compactThresholdFromEnv(env),
      model,
    };
  };

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id,
    describeSession: plan,
    async startSession(options: SessionOptions): Promise<CodexAgentSession> {
      const logger = (options.logger ?? providerOptions.logger ?? silentLogger).child({ provider: id });
      const resolved = await plan(options);
      if (providerOptions.checkVersion !== false) void checkCodexVersion(resolved.binary, logger);
      if (resolved.authMode === 'none') {
        logger.warn('no Codex credentials: no auth.json, OPENAI_API_KEY or OPENAI_BASE_URL; turns will fail');
      }
      return createCodexSession({
        providerId: id,
        binary: resolved.binary,
        codexHome: resolved.codexHome,
        childEnv: resolved.childEnv,
        options,
        ...(resolved.model ? { model: resolved.model } : {}),
        logger,
        clientName: providerOptions.clientName ?? 'nanoclaw',
        compactThresholdTokens: resolved.compactThresholdTokens,
        compactTimeoutMs: providerOptions.compactTimeoutMs ?? 600_000,
        interruptTimeoutMs: providerOptions.interruptTimeoutMs ?? 10_000,
        startTimeoutMs: providerOptions.startTimeoutMs ?? 30_000,
        requestTimeoutMs: providerOptions.requestTimeoutMs ?? 120_000,
        instructionsAs: providerOptions.instructionsAs ?? 'base',
      });
    },
    isSessionInvalid: isCodexSessionInvalid,
  };
}

/** The default instance (id `codex`), configured from the session env. */
export const codexProvider: CodexProvider = createCodexProvider();

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function endpointOption(endpoint: CodexEndpointTuning | undefined): { endpoint?: CodexEndpointTuning } {
  return endpoint ? { endpoint } : {};
}
