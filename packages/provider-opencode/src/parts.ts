import type { AgentEvent } from '@nanoclaw/core';
import type { ToolPart } from '@opencode-ai/sdk/v2';
import { sanitizeName } from './config.js';

type ToolCallEvent = Extract<AgentEvent, { type: 'tool-call' }>;
type ToolResultEvent = Extract<AgentEvent, { type: 'tool-result' }>;

/**
 * The spec's kind and name of an opencode tool: `bash` is a `command`; `<server>_<tool>` of a configured MCP
 * server is `mcp`, named `<server>.<tool>`; everything else (read, edit, write, glob, grep, task, ...) is
 * `builtin` under opencode's name.
 */
export function toolIdentity(
  tool: string,
  mcpServers: readonly string[],
): { kind: ToolCallEvent['kind']; name: string } {
  if (tool === 'bash') return { kind: 'command', name: 'bash' };
  // Longest prefix first, so server `a_b` wins over server `a` for tool `a_b_x`.
  const servers = [...mcpServers].sort((a, b) => sanitizeName(b).length - sanitizeName(a).length);
  for (const server of servers) {
    const prefix = `${sanitizeName(server)}_`;
    if (tool.startsWith(prefix) && tool.length > prefix.length) {
      return { kind: 'mcp', name: `${server}.${tool.slice(prefix.length)}` };
    }
  }
  return { kind: 'builtin', name: tool };
}

/** A `tool-call` for a part whose input is known (status running, completed or error); else undefined. */
export function toolCallOf(
  part: ToolPart,
  turnId: string,
  mcpServers: readonly string[],
): ToolCallEvent | undefined {
  if (part.state.status === 'pending') return undefined;
  const { kind, name } = toolIdentity(part.tool, mcpServers);
  return { type: 'tool-call', turnId, callId: part.callID, kind, name, input: part.state.input };
}

/** A `tool-result` for a finished part (completed or error); else undefined. */
export function toolResultOf(
  part: ToolPart,
  turnId: string,
  mcpServers: readonly string[],
): ToolResultEvent | undefined {
  const { name } = toolIdentity(part.tool, mcpServers);
  if (part.state.status === 'completed') {
    return {
      type: 'tool-result',
      turnId,
      callId: part.callID,
      name,
      output: part.state.output,
      isError: false,
    };
  }
  if (part.state.status === 'error') {
    return {
      type: 'tool-result',
      turnId,
      callId: part.callID,
      name,
      output: part.state.error,
      isError: true,
    };
  }
  return undefined;
}
