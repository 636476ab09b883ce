import type {
  EffortLevel,
  Options,
  McpServerConfig as SdkMcpServerConfig,
  SettingSource,
} from '@anthropic-ai/claude-agent-sdk';
import type { McpServerConfig, SessionOptions } from '@nanoclaw/core';

/** What a session's `query()` calls share, resolved once by the provider. */
export interface QueryPlan {
  cwd: string;
  env: Record<string, string>;
  /** The native `claude` binary; undefined = let the SDK find its bundled one. */
  binary: string | undefined;
  model: string | undefined;
  effort: EffortLevel | undefined;
  /** Appended to Claude Code's system prompt (`SessionOptions.instructions`). */
  instructions: string | undefined;
  /** `claude_code`: Claude Code's full system prompt (+ instructions); `sdk`: the SDK's one-line prompt. */
  systemPrompt: 'claude_code' | 'sdk';
  settingSources: SettingSource[];
  mcpServers: Record<string, SdkMcpServerConfig>;
  /** Extra SDK options, applied last. */
  extra: Partial<Options>;
}

/**
 * `SessionOptions.mcpServers` in the SDK's shape (stdio: command/args/env; http: url/headers). `toolTimeoutMs`
 * becomes the server's own `timeout` (ms per tool call, over `MCP_TOOL_TIMEOUT`), so other servers keep Claude
 * Code's default (about 28 h for stdio; for http also the per-request budget, default 60 s).
 */
export function toSdkMcpServers(servers: SessionOptions['mcpServers']): Record<string, SdkMcpServerConfig> {
  const out: Record<string, SdkMcpServerConfig> = {};
  for (const [name, server] of Object.entries(servers ?? {})) out[name] = toSdkMcpServer(server);
  return out;
}

function toSdkMcpServer(server: McpServerConfig): SdkMcpServerConfig {
  const timeout = server.toolTimeoutMs === undefined ? {} : { timeout: server.toolTimeoutMs };
  if (server.type === 'http') {
    return { type: 'http', url: server.url, headers: { ...server.headers }, ...timeout };
  }
  return {
    type: 'stdio',
    command: server.command,
    args: [...(server.args ?? [])],
    env: { ...(server.env ?? {}) },
    ...timeout,
  };
}

/** Claude Code knows `low`..`max`; the spec's `minimal` maps to `low`. */
export function toEffort(effort: SessionOptions['reasoningEffort']): EffortLevel | undefined {
  if (effort === undefined) return undefined;
  return effort === 'minimal' ? 'low' : effort;
}

/**
 * The SDK options of one process: permissions bypassed (the container is the sandbox), partial messages on
 * (text deltas), the env built by the provider, MCP servers over stdin (`initialize`, so their env and headers
 * stay off the command line), and either a resume or a fixed new session id.
 */
export function buildQueryOptions(
  plan: QueryPlan,
  run: Pick<Options, 'hooks' | 'stderr' | 'resume' | 'sessionId'>,
): Options {
  const options: Options = {
    cwd: plan.cwd,
    env: plan.env,
    permissionMode: 'bypassPermissions',
    allowDangerouslySkipPermissions: true,
    includePartialMessages: true,
    settingSources: plan.settingSources,
    mcpServers: plan.mcpServers,
    mcpServersDelivery: 'initialize',
    systemPrompt:
      plan.systemPrompt === 'sdk'
        ? (plan.instructions ?? '')
        : {
            type: 'preset',
            preset: 'claude_code',
            ...(plan.instructions ? { append: plan.instructions } : {}),
          },
    ...run,
  };
  if (plan.binary) options.pathToClaudeCodeExecutable = plan.binary;
  if (plan.model) options.model = plan.model;
  if (plan.effort) options.effort = plan.effort;
  return { ...options, ...plan.extra };
}
