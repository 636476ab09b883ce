import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { type AgentAction, type AgentActionResult, errorMessage } from '@nanoclaw/core';
import { agentTools, isAgentToolName, parseToolCall } from './agent-tools.js';
import { RUNNER_VERSION } from './version.js';

/** MCP revisions this server speaks (the SDK's); an unknown one from the client is answered with the first. */
export const SUPPORTED_MCP_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

export interface AgentToolsServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Sends a validated action to the host (through the runner) and returns its answer. */
  forward: (action: AgentAction) => Promise<AgentActionResult>;
}

/**
 * Serves the agent's tools as an MCP stdio server (the SDK's `Server` over newline-delimited JSON-RPC 2.0).
 * Resolves when the input ends, i.e. when the MCP client went away.
 */
export async function serveAgentTools(options: AgentToolsServerOptions): Promise<void> {
  const server = new Server({ name: 'nanoclaw', version: RUNNER_VERSION }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...agentTools] }));
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(request.params.name, request.params.arguments, options.forward),
  );
  const ended = new Promise<void>((resolve) => {
    options.input.once('end', resolve);
    options.input.once('close', resolve);
  });
  await server.connect(
    new StdioServerTransport(options.input as NodeJS.ReadStream, options.output as NodeJS.WriteStream),
  );
  await ended;
  await server.close();
}

async function callTool(
  name: string,
  args: unknown,
  forward: AgentToolsServerOptions['forward'],
): Promise<CallToolResult> {
  if (!isAgentToolName(name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  const parsed = parseToolCall(name, args ?? {});
  if (!parsed.ok) return toolText(parsed.error, true);
  const outcome = await forward(parsed.action).catch(
    (error: unknown): AgentActionResult => ({ ok: false, error: errorMessage(error) }),
  );
  return outcome.ok ? toolText(JSON.stringify(outcome.result ?? null), false) : toolText(outcome.error, true);
}

function toolText(text: string, isError: boolean): CallToolResult {
  return { content: [{ type: 'text', text }], isError };
}
