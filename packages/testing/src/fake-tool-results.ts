/**
 * Reading back what a runtime sent to the model as the result of a tool call the fake scripted: the fakes log
 * every request, each tool call they answered with, and the tool results the next requests carry. Shared by
 * the three fake model servers.
 */
import { isRecord } from './fake-server-kit.js';

/** What a runtime sent back to the model for one tool call a fake scripted. */
export interface FakeToolResult {
  /** The call's id, as the fake sent it. */
  callId: string;
  /** The tool the fake called (`exec_command`, `Bash`, `Write`, `bash`, an MCP tool…). */
  name: string;
  /** The call's input as the fake sent it (the parsed JSON arguments). */
  input: Record<string, unknown>;
  /** The result's text: a string content as is, text parts joined by newlines. */
  output: string;
  /** The result's error flag where the wire format has one (Anthropic `is_error`), else undefined. */
  isError?: boolean;
  /** The index in the fake's `requests` of the first request that carried the result. */
  requestIndex: number;
}

/** A tool call a fake answered a request with. */
export interface ScriptedCall {
  callId: string;
  name: string;
  input: Record<string, unknown>;
}

/** A tool result as a request carries it. */
export interface WireToolResult {
  callId: string;
  output: string;
  isError?: boolean;
}

/**
 * The results of the fake's own calls, in the order they arrived, each once (a result stays in every later
 * request's history: the first request that carried it counts). Results of calls the fake did not make (an
 * earlier server's, a resumed history's) are left out.
 */
export function collectToolResults<R>(
  requests: readonly R[],
  callOf: (request: R) => ScriptedCall | undefined,
  resultsIn: (request: R) => WireToolResult[],
): FakeToolResult[] {
  const calls = new Map<string, ScriptedCall>();
  const collected: FakeToolResult[] = [];
  const seen = new Set<string>();
  for (const [requestIndex, request] of requests.entries()) {
    for (const result of resultsIn(request)) {
      const call = calls.get(result.callId);
      if (!call || seen.has(result.callId)) continue;
      seen.add(result.callId);
      collected.push({
        ...call,
        output: result.output,
        ...(result.isError === undefined ? {} : { isError: result.isError }),
        requestIndex,
      });
    }
    const call = callOf(request);
    if (call) calls.set(call.callId, call);
  }
  return collected;
}

/** A JSON object's fields (`{}` for anything else): the arguments string of a scripted call. */
export function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

/** A tool result's text: a string as is; the `text` of each part of a list (any part type) joined by newlines. */
export function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { text: string } => isRecord(part) && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}
