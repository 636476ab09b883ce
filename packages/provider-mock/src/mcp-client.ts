import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { McpClientError } from './errors.js';
import { ChildProcessTransport } from './mcp-transport.js';

/** The MCP revision this client asks for (the SDK's newest). */
export const MCP_PROTOCOL_VERSION = LATEST_PROTOCOL_VERSION;

/**
 * Unless the server sets `toolTimeoutMs`, only the run's signal bounds a tool call: the SDK's 60 s default request
 * timeout would cut long tools short.
 */
const NO_REQUEST_TIMEOUT_MS = 2 ** 31 - 1;

export interface McpStdioClientOptions {
  /** The server's name in `mcpServers`, used in error messages. */
  name: string;
  command: string;
  args?: readonly string[];
  /** The complete environment of the server process. */
  env?: Record<string, string>;
  cwd?: string;
  clientInfo?: { name: string; version: string };
  /** How long one `tools/call` may take (the server's `toolTimeoutMs`); default: no limit but the signal. */
  toolTimeoutMs?: number;
}

export interface McpTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

export interface McpToolResult {
  /** The text items of `content`, joined by newlines (other items as JSON). */
  text: string;
  isError: boolean;
  content: unknown[];
}

/** A connection to one MCP stdio server: the SDK's `Client` over the child's stdin/stdout. */
export interface McpClient {
  readonly name: string;
  readonly serverInfo: unknown;
  listTools(): Promise<McpTool[]>;
  callTool(
    tool: string,
    args: Record<string, unknown>,
    options?: { signal?: AbortSignal },
  ): Promise<McpToolResult>;
  /** Ends the server process (SIGTERM, then SIGKILL after a second). Idempotent. */
  close(): Promise<void>;
}

/** Spawns the server, runs the `initialize` handshake and returns the connected client. */
export async function connectMcpStdio(options: McpStdioClientOptions): Promise<McpClient> {
  const transport = new ChildProcessTransport(options);
  const client = new Client(options.clientInfo ?? { name: 'nanoclaw-provider-mock', version: '0.1.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close();
    throw transport.failure(`MCP initialize failed on "${options.name}"`, error);
  }
  return new StdioMcpClient(options.name, client, transport, options.toolTimeoutMs ?? NO_REQUEST_TIMEOUT_MS);
}

class StdioMcpClient implements McpClient {
  readonly serverInfo: unknown;
  readonly #client: Client;
  readonly #transport: ChildProcessTransport;

  constructor(
    readonly name: string,
    client: Client,
    transport: ChildProcessTransport,
    private readonly toolTimeoutMs: number,
  ) {
    this.#client = client;
    this.#transport = transport;
    this.serverInfo = client.getServerVersion();
  }

  async listTools(): Promise<McpTool[]> {
    try {
      return (await this.#client.listTools()).tools;
    } catch (error) {
      throw this.#transport.failure(`MCP tools/list failed on "${this.name}"`, error);
    }
  }

  async callTool(tool: string, args: Record<string, unknown>, options?: { signal?: AbortSignal }) {
    const signal = options?.signal;
    if (signal?.aborted) throw new McpClientError('MCP tools/call aborted');
    try {
      const result = await this.#client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: this.toolTimeoutMs,
      });
      const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
      return { text: contentText(content), isError: result.isError === true, content };
    } catch (error) {
      if (signal?.aborted) throw new McpClientError('MCP tools/call aborted');
      throw this.#transport.failure(`MCP tools/call failed on "${this.name}"`, error);
    }
  }

  async close(): Promise<void> {
    this.#transport.closing();
    await this.#client.close();
  }
}

function contentText(content: readonly unknown[]): string {
  return content
    .map((item) => {
      const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      return entry.type === 'text' && typeof entry.text === 'string' ? entry.text : JSON.stringify(item);
    })
    .join('\n');
}
