import type { SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentEvent } from '@nanoclaw/core';

type UsageEvent = Extract<AgentEvent, { type: 'usage' }>;

/**
 * The turn's `usage` from its result (Claude Code sums every model request of the turn): `inputTokens` =
 * uncached input + cache writes, `cachedInputTokens` = cache reads. Undefined when the turn reached no model.
 */
export function usageEventOf(turnId: string, result: SDKResultMessage): UsageEvent | undefined {
  const usage = result.usage as Partial<Record<string, unknown>> | undefined;
  if (!usage) return undefined;
  const input = count(usage.input_tokens) + count(usage.cache_creation_input_tokens);
  const cached = count(usage.cache_read_input_tokens);
  const output = count(usage.output_tokens);
  if (input + cached + output === 0) return undefined;
  return { type: 'usage', turnId, inputTokens: input, cachedInputTokens: cached, outputTokens: output };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
