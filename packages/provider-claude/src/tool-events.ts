import type { AgentEvent } from '@nanoclaw/core';

type ToolCall = Omit<Extract<AgentEvent, { type: 'tool-call' }>, 'type' | 'turnId'>;
type ToolResult = Omit<Extract<AgentEvent, { type: 'tool-result' }>, 'type' | 'turnId'>;

/** `command` for Claude Code's shell tool, `mcp` for `mcp__<server>__<tool>`, `builtin` for the rest. */
export function toolKind(name: string): ToolCall['kind'] {
  if (name === 'Bash') return 'command';
  if (name.startsWith('mcp__')) return 'mcp';
  return 'builtin';
}

/** A `tool-call` from a PreToolUse hook input. */
export function toolCallOf(input: { tool_name: string; tool_input: unknown; tool_use_id: string }): ToolCall {
  return {
    callId: input.tool_use_id,
    kind: toolKind(input.tool_name),
    name: input.tool_name,
    input: input.tool_input,
  };
}

/** A `tool-result` from a PostToolUse hook input. */
export function toolResultOf(input: {
  tool_name: string;
  tool_response: unknown;
  tool_use_id: string;
}): ToolResult {
  return {
    callId: input.tool_use_id,
    name: input.tool_name,
    output: toolOutputText(input.tool_response),
    isError: isErrorResponse(input.tool_response),
  };
}

/** A failed `tool-result` from a PostToolUseFailure hook input. */
export function toolFailureOf(input: { tool_name: string; error: string; tool_use_id: string }): ToolResult {
  return { callId: input.tool_use_id, name: input.tool_name, output: input.error, isError: true };
}

/**
 * The text of a tool response as hooks see it: a string as is; MCP content (`[{type:'text',text}]` or
 * `{content:[...]}`) as its texts; Bash's `{stdout, stderr}` as both; anything else as JSON.
 */
export function toolOutputText(response: unknown): string {
  if (typeof response === 'string') return response;
  if (Array.isArray(response)) return contentText(response) ?? JSON.stringify(response);
  if (isRecord(response)) {
    if (Array.isArray(response.content)) {
      const text = contentText(response.content);
      if (text !== undefined) return text;
    }
    if (typeof response.stdout === 'string' || typeof response.stderr === 'string') {
      return [response.stdout, response.stderr]
        .filter((part) => typeof part === 'string' && part !== '')
        .join('\n');
    }
  }
  return response === undefined ? '' : JSON.stringify(response);
}

function contentText(content: unknown[]): string | undefined {
  const texts = content.flatMap((part) =>
    isRecord(part) && typeof part.text === 'string' ? [part.text] : [],
  );
  return texts.length > 0 || content.length === 0 ? texts.join('\n') : undefined;
}

function isErrorResponse(response: unknown): boolean {
  return isRecord(response) && (response.isError === true || response.is_error === true);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
