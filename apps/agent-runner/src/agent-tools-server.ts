import { createInterface } from 'node:readline';
import { type AgentAction, type AgentActionResult, errorMessage } from '@nanoclaw/core';
import { agentTools, isAgentToolName, parseToolCall } from './agent-tools.js';
import { RUNNER_VERSION } from './version.js';

/** MCP revisions this server speaks; an unknown one from the client is answered with the first. */
export const SUPPORTED_MCP_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;

export interface AgentToolsServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Sends a validated action to the host (through the runner) and returns its answer. */
  forward: (action: AgentAction) => Promise<AgentActionResult>;
}

interface JsonRpcRequest {
  id?: string | number | null;
  method?: unknown;
  params?: unknown;
}

type Reply = { result: unknown } | { error: { code: number; message: string } };

/**
 * Serves the agent's tools as an MCP stdio server (newline-delimited JSON-RPC 2.0). Resolves when the input
 * ends, i.e. when the MCP client went away.
 */
export function serveAgentTools(options: AgentToolsServerOptions): Promise<void> {
  const send = (message: Record<string, unknown>) =>
    options.output.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const lines = createInterface({ input: options.input });
  lines.on('error', () => lines.close());
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let request: JsonRpcRequest;
    try {
      request = JSON.parse(line) as JsonRpcRequest;
    } catch {
      send({ id: null, error: { code: -32700, message: 'parse error' } });
      return;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      send({ id: null, error: { code: -32600, message: 'invalid request' } });
      return;
    }
    if (request.id === undefined || request.id === null) return; // a notification: nothing to answer
    const id = request.id;
    // A request that fails unexpectedly is answered with an internal error, so the client never waits for it.
    handleRequest(request, options).then(
      (reply) => send({ id, ...reply }),
      (error: unknown) => send({ id, error: { code: -32603, message: errorMessage(error) } }),
    );
  });
  return new Promise((resolve) => lines.once('close', () => resolve()));
}

async function handleRequest(request: JsonRpcRequest, options: AgentToolsServerOptions): Promise<Reply> {
  const params = asObject(request.params);
  switch (request.method) {
    case 'initialize':
      return { result: initializeResult(params.protocolVersion) };
    case 'ping':
      return { result: {} };
    case 'tools/list':
      return { result: { tools: agentTools } };
    case 'tools/call':
      return callTool(params, options);
    default:
      return { error: { code: -32601, message: `method not found: ${String(request.method)}` } };
  }
}

function initializeResult(requested: unknown) {
  const supported = SUPPORTED_MCP_VERSIONS.find((version) => version === requested);
  return {
    protocolVersion: supported ?? SUPPORTED_MCP_VERSIONS[0],
    capabilities: { tools: {} },
    serverInfo: { name: 'nanoclaw', version: RUNNER_VERSION },
  };
}

async function callTool(params: Record<string, unknown>, options: AgentToolsServerOptions): Promise<Reply> {
  const name = typeof params.name === 'string' ? params.name : '';
  if (!isAgentToolName(name)) return { error: { code: -32602, message: `Unknown tool: ${name}` } };
  const parsed = parseToolCall(name, params.arguments ?? {});
  if (!parsed.ok) return { result: toolText(parsed.error, true) };
  const outcome = await options.forward(parsed.action).catch(
    (error: unknown): AgentActionResult => ({
      ok: false,
      error: errorMessage(error),
    }),
  );
  return outcome.ok
    ? { result: toolText(JSON.stringify(outcome.result ?? null), false) }
    : { result: toolText(outcome.error, true) };
}

function toolText(text: string, isError: boolean) {
  return { content: [{ type: 'text', text }], isError };
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
