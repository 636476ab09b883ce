import type { Options, SettingSource } from '@anthropic-ai/claude-agent-sdk';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentProvider,
  type Logger,
  type SessionOptions,
} from '@nanoclaw/core';
import { silentLogger } from '@nanoclaw/provider-utils';
import { resolveClaudeBinary } from './binary.js';
import { buildClaudeEnv, type ClaudeAuthMode, resolveAuthMode, resolveModel } from './env.js';
import { isClaudeSessionInvalid } from './errors.js';
import { type QueryPlan, toEffort, toSdkMcpServers } from './query-options.js';
import { type ClaudeAgentSession, createClaudeSession } from './session.js';

export interface ClaudeProviderOptions {
  /** Provider id (default `claude`). */
  id?: string;
  /** The `claude` binary; default `CLAUDE_CODE_BIN` (session env, then process env), else the SDK's platform binary. */
  claudeBin?: string;
  /** Default model when the session names none; `CLAUDE_MODEL`/`ANTHROPIC_MODEL` otherwise. */
  model?: string;
  /** `claude_code` (default): Claude Code's system prompt, `SessionOptions.instructions` appended; `sdk`: minimal. */
  systemPrompt?: 'claude_code' | 'sdk';
  /** Settings Claude Code loads (default `['project', 'user']`: the group's CLAUDE.md and the session home's). */
  settingSources?: SettingSource[];
  /** `CLAUDE_CODE_MAX_RETRIES` for model requests (default: Claude Code's own). */
  maxRetries?: number;
  /** Extra env for Claude Code, set after the session env. */
  extraEnv?: Readonly<Record<string, string>>;
  /** Archive the transcript to `<cwd>/conversations/` before each compaction (default true). */
  archiveOnCompact?: boolean;
  /** Max time from spawn to Claude Code's `initialize` answer (default 60 s). */
  startTimeoutMs?: number;
  /** How long an interrupted turn may take to end before the process is restarted (default 10 s). */
  interruptTimeoutMs?: number;
  /** Give up on a requested compaction after this long (default 10 min). */
  compactTimeoutMs?: number;
  /** Extra `query()` options, applied last (escape hatch). */
  queryOptions?: Partial<Options>;
  /** Used when the session brings no logger. */
  logger?: Logger;
}

export interface ClaudeSessionPlan extends QueryPlan {
  authMode: ClaudeAuthMode;
}

export interface ClaudeProvider extends AgentProvider {
  startSession(options: SessionOptions): Promise<ClaudeAgentSession>;
  /** What `startSession` would run with for these options (binary, env, model, auth mode), without spawning. */
  describeSession(options: SessionOptions): ClaudeSessionPlan;
}

/**
 * Claude as an `AgentProvider`: one Claude Code process per session, driven by the Claude Agent SDK's `query()`
 * with one long-lived streaming prompt. Resume uses the Claude session id as continuation.
 */
export function createClaudeProvider(providerOptions: ClaudeProviderOptions = {}): ClaudeProvider {
  const id = providerOptions.id ?? 'claude';

  const plan = (options: SessionOptions): ClaudeSessionPlan => {
    const sessionEnv = options.env ?? {};
    const binary =
      providerOptions.claudeBin ??
      resolveClaudeBinary({
        env: { CLAUDE_CODE_BIN: sessionEnv.CLAUDE_CODE_BIN ?? process.env.CLAUDE_CODE_BIN },
      });
    const env = buildClaudeEnv(sessionEnv, {
      ...(providerOptions.maxRetries === undefined ? {} : { maxRetries: providerOptions.maxRetries }),
      ...(providerOptions.extraEnv ? { extra: providerOptions.extraEnv } : {}),
    });
    return {
      cwd: options.cwd,
      env,
      binary,
      model: resolveModel(options.model ?? providerOptions.model, sessionEnv),
      effort: toEffort(options.reasoningEffort),
      instructions: options.instructions,
      systemPrompt: providerOptions.systemPrompt ?? 'claude_code',
      settingSources: providerOptions.settingSources ?? ['project', 'user'],
      mcpServers: toSdkMcpServers(options.mcpServers),
      extra: providerOptions.queryOptions ?? {},
      authMode: resolveAuthMode(env),
    };
  };

  return {
    specificationVersion: AGENT_PROVIDER_SPEC_VERSION,
    id,
    describeSession: plan,
    async startSession(options: SessionOptions): Promise<ClaudeAgentSession> {
      const logger = (options.logger ?? providerOptions.logger ?? silentLogger).child({ provider: id });
      const resolved = plan(options);
      if (resolved.authMode === 'none') {
        logger.warn(
          'no Claude credentials: no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN; turns will fail',
        );
      }
      return createClaudeSession({
        providerId: id,
        options,
        plan: resolved,
        logger,
        startTimeoutMs: providerOptions.startTimeoutMs ?? 60_000,
        interruptTimeoutMs: providerOptions.interruptTimeoutMs ?? 10_000,
        compactTimeoutMs: providerOptions.compactTimeoutMs ?? 600_000,
        archiveOnCompact: providerOptions.archiveOnCompact ?? true,
      });
    },
    isSessionInvalid: isClaudeSessionInvalid,
  };
}

/** The default instance (id `claude`), configured from the session env. */
export const claudeProvider: ClaudeProvider = createClaudeProvider();
