import os from 'node:os';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentProvider,
  type Logger,
  type SessionOptions,
} from '@nanoclaw/core';
import { silentLogger } from '@nanoclaw/provider-utils';
import { checkOpencodeVersion, resolveOpencodeBinary } from './binary.js';
import {
  agentContextConfig,
  buildChildEnv,
  buildOpencodeConfig,
  type ModelRef,
  maxRetriesFromEnv,
  type OpencodeDirs,
  opencodeDirs,
  resolveModel,
  seedConfigDir,
} from './config.js';
import { isOpencodeSessionInvalid } from './errors.js';
import { createOpencodeSession, type OpencodeAgentSession } from './session.js';

export interface OpencodeProviderOptions {
  /** Provider id (default `opencode`). */
  id?: string;
  /** The opencode binary; default `OPENCODE_BIN` (session env, then process env), else the installed native one. */
  opencodeBin?: string;
  /** Default model (`provider/model`) when the session names none; `OPENCODE_MODEL` otherwise. */
  model?: string;
  /** Retries of a failing model request before the turn fails (default `OPENCODE_MAX_RETRIES`, else 2). */
  maxRetries?: number;
  /** How long to wait for opencode to end an aborted turn before ending it locally (default 10 s). */
  interruptTimeoutMs?: number;
  /** Max time from spawn to a connected event stream (default 30 s). */
  startTimeoutMs?: number;
  /** Give up on a compaction after this long (default 10 min); the run continues uncompacted. */
  compactTimeoutMs?: number;
  /** Limits declared for a model of the `OPENAI_BASE_URL` endpoint (default 128k context, 8k output). */
  modelLimits?: { context: number; output: number };
  /** Extra top-level opencode config keys, merged last. */
  extraConfig?: Readonly<Record<string, unknown>>;
  /** Extra `opencode serve` arguments, e.g. `['--print-logs', '--log-level=DEBUG']`. */
  serveArgs?: readonly string[];
  /** Warn when `opencode --version` is not `OPENCODE_VERSION` (default false: it costs a second spawn). */
  checkVersion?: boolean;
  /** Used when the session brings no logger. */
  logger?: Logger;
}

export interface OpencodeProvider extends AgentProvider {
  startSession(options: SessionOptions): Promise<OpencodeAgentSession>;
  /** What `startSession` would run with: binary, dirs, env (config included) and model. Seeds the config dir. */
  describeSession(options: SessionOptions): Promise<OpencodeSessionPlan>;
}

export interface OpencodeSessionPlan {
  binary: string;
  dirs: OpencodeDirs;
  childEnv: Record<string, string>;
  config: Record<string, unknown>;
  model: ModelRef | undefined;
  maxRetries: number;
}

/**
 * OpenCode as an `AgentProvider`: one `opencode serve` per session on a loopback port, driven over HTTP with
 * `@opencode-ai/sdk` and its `/event` stream. The continuation is opencode's session id (kept in
 * `$XDG_DATA_HOME/opencode`, so resume works across processes that share that directory).
 */
export function createOpencodeProvider(providerOptions: OpencodeProviderOptions = {}): OpencodeProvider {
  const id = providerOptions.id ?? 'opencode';

  const plan = async (options: SessionOptions): Promise<OpencodeSessionPlan> => {
    const env = options.env ?? stringEnv(process.env);
    const binary =
      providerOptions.opencodeBin ??
      resolveOpencodeBinary({ env: { OPENCODE_BIN: env.OPENCODE_BIN ?? process.env.OPENCODE_BIN } });
    const dirs = opencodeDirs(env, env.HOME ?? os.homedir());
    const model = resolveModel(options.model ?? providerOptions.model ?? env.OPENCODE_MODEL, env);
    const config = buildOpencodeConfig({
      env,
      ...(model ? { model } : {}),
      ...(options.mcpServers ? { mcpServers: options.mcpServers } : {}),
      ...(providerOptions.modelLimits ? { modelLimits: providerOptions.modelLimits } : {}),
      extraConfig: { ...agentContextConfig(dirs.data), ...providerOptions.extraConfig },
    });
    await seedConfigDir(dirs.config);
    return {
      binary,
      dirs,
      childEnv: buildChildEnv(env, dirs, config),
      config,
      model,
      maxRetries: providerOptions.maxRetries ?? maxRetriesFromEnv(env),
    };
  };

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id,
    describeSession: plan,
    async startSession(options: SessionOptions): Promise<OpencodeAgentSession> {
      const logger = (options.logger ?? providerOptions.logger ?? silentLogger).child({ provider: id });
      const resolved = await plan(options);
      if (providerOptions.checkVersion) checkOpencodeVersion(resolved.binary, logger);
      if (!resolved.model) logger.warn('no model configured (OPENCODE_MODEL); opencode picks its default');
      return createOpencodeSession({
        providerId: id,
        binary: resolved.binary,
        childEnv: resolved.childEnv,
        options,
        ...(resolved.model ? { model: resolved.model } : {}),
        logger,
        maxRetries: resolved.maxRetries,
        interruptTimeoutMs: providerOptions.interruptTimeoutMs ?? 10_000,
        startTimeoutMs: providerOptions.startTimeoutMs ?? 30_000,
        compactTimeoutMs: providerOptions.compactTimeoutMs ?? 600_000,
        ...(providerOptions.serveArgs ? { serveArgs: providerOptions.serveArgs } : {}),
      });
    },
    isSessionInvalid: isOpencodeSessionInvalid,
  };
}

/** The default instance (id `opencode`), configured from the session env. */
export const opencodeProvider: OpencodeProvider = createOpencodeProvider();

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
