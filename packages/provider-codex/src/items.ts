import type { AgentEvent } from '@nanoclaw/core';
import type { ThreadItem } from './protocol.js';

type ToolCall = Omit<Extract<AgentEvent, { type: 'tool-call' }>, 'type' | 'turnId'>;
type ToolResult = Omit<Extract<AgentEvent, { type: 'tool-result' }>, 'type' | 'turnId'>;

/**
 * The `tool-call` of a thread item, for the items that are tool use: `commandExecution` (kind `command`, name
 * `shell`, input `{command, cwd}`), `mcpToolCall` (kind `mcp`, name `<server>.<tool>`, input its arguments),
 * `fileChange` (`apply_patch`) and `dynamicToolCall` (kind `builtin`). Undefined for every other item.
 */
export function toolCallOf(item: ThreadItem): ToolCall | undefined {
  switch (item.type) {
    case 'commandExecution':
      return {
        callId: item.id,
        kind: 'command',
        name: 'shell',
        input: { command: item.command, cwd: item.cwd },
      };
    case 'mcpToolCall':
      return { callId: item.id, kind: 'mcp', name: `${item.server}.${item.tool}`, input: item.arguments };
    case 'fileChange':
      return {
        callId: item.id,
        kind: 'builtin',
        name: 'apply_patch',
        input: { changes: item.changes.map((change) => ({ path: change.path, kind: change.kind })) },
      };
    case 'dynamicToolCall':
      return {
        callId: item.id,
        kind: 'builtin',
        name: item.namespace ? `${item.namespace}.${item.tool}` : item.tool,
        input: item.arguments,
      };
    default:
      return undefined;
  }
}

/** The `tool-result` of a completed tool item (see `toolCallOf`). */
export function toolResultOf(item: ThreadItem): ToolResult | undefined {
  const call = toolCallOf(item);
  if (!call) return undefined;
  const base = { callId: call.callId, name: call.name };
  switch (item.type) {
    case 'commandExecution': {
      const output = item.aggregatedOutput ?? '';
      const isError = item.status !== 'completed' || (item.exitCode !== null && item.exitCode !== 0);
      return {
        ...base,
        output: output || (item.status === 'completed' ? '' : `command ${item.status}`),
        isError,
      };
    }
    case 'mcpToolCall': {
      if (item.error) return { ...base, output: item.error.message, isError: true };
      const output = (item.result?.content ?? []).map(contentText).join('\n');
      const isError = item.status === 'failed' || isErrorResult(item.result);
      return { ...base, output, isError };
    }
    case 'fileChange':
      return {
        ...base,
        output: `${item.status}: ${item.changes.map((change) => change.path).join(', ')}`,
        isError: item.status !== 'completed',
      };
    case 'dynamicToolCall':
      return {
        ...base,
        output: (item.contentItems ?? [])
          .map((part) => (part.type === 'inputText' ? part.text : `[${part.type}]`))
          .join('\n'),
        isError: item.success === false || item.status === 'failed',
      };
    default:
      return undefined;
  }
}

function contentText(part: unknown): string {
  if (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text') {
    const text = (part as { text?: unknown }).text;
    if (typeof text === 'string') return text;
  }
  return JSON.stringify(part);
}

function isErrorResult(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
}
