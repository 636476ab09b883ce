import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { McpClientError } from './errors.js';

/** The MCP revision this client asks for. */
export const MCP_PROTOCOL_VERSION = '2025-06-18';

export interface McpStdioClientOptions {
  /** The server's name in `mcpServers`, used in error messages. */
  name: string;
  command: string;
  args?: readonly string[];
  /** The complete environment of the server process. */
  env?: Record<string, string>;
  cwd?: string;
  clientInfo?: { name: string; version: string };
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

/** A connection to one MCP stdio server: newline-delimited JSON-RPC 2.0 over the child's stdin/stdout. */
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

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

type JsonObject = Record<string, unknown>;

const STDERR_TAIL = 2_000;

/** Spawns the server, runs the `initialize` handshake and returns the connected client. */
export async function connectMcpStdio(options: McpStdioClientOptions): Promise<McpClient> {
  const child = spawn(options.command, [...(options.args ?? [])], {
    env: options.env ?? {},
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const connection = createConnection(options.name, child);
  try {
    const init = await connection.request('initialize', {
      protocolVersion: MCP_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: options.clientInfo ?? { name: 'nanoclaw-provider-mock', version: '0.1.0' },
    });
    connection.notify('notifications/initialized');
    return buildClient(options.name, connection, asObject(init).serverInfo);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

function buildClient(name: string, connection: Connection, serverInfo: unknown): McpClient {
  return {
    name,
    serverInfo,
    async listTools() {
      const result = asObject(await connection.request('tools/list', {}));
      return Array.isArray(result.tools) ? (result.tools as McpTool[]) : [];
    },
    async callTool(tool, args, callOptions) {
      const result = asObject(
        await connection.request('tools/call', { name: tool, arguments: args }, callOptions?.signal),
      );
      const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
      return { text: contentText(content), isError: result.isError === true, content };
    },
    close: () => connection.close(),
  };
}

interface Connection {
  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown>;
  notify(method: string, params?: unknown): void;
  close(): Promise<void>;
}

function createConnection(name: string, child: ChildProcessWithoutNullStreams): Connection {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stderrTail = '';
  let exited: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const fail = (error: Error) => {
    if (exited) return;
    exited = error;
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  };
  const write = (message: JsonObject) => {
    if (exited || !child.stdin.writable) return;
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  };

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => {
    // EPIPE when the server died; the 'exit' handler reports it.
  });
  child.on('error', (error) => fail(new McpClientError(`MCP server "${name}": ${error.message}`)));
  child.on('exit', (code, signal) => {
    const detail = stderrTail.trim() ? `: ${stderrTail.trim()}` : '';
    fail(new McpClientError(`MCP server "${name}" exited (${signal ?? `code ${code}`})${detail}`));
  });

  const lines = createInterface({ input: child.stdout });
  lines.on('error', () => undefined); // the child's 'exit' handler reports failures
  lines.on('line', (line) => {
    const message = parseLine(line);
    if (!message) return;
    if (typeof message.method === 'string') {
      if (message.id !== undefined) answerServerRequest(message, write);
      return;
    }
    const entry = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!entry || typeof message.id !== 'number') return;
    pending.delete(message.id);
    if (message.error !== undefined) {
      const error = asObject(message.error);
      entry.reject(new McpClientError(`MCP ${entry.method} failed on "${name}": ${String(error.message)}`));
    } else entry.resolve(message.result);
  });

  return {
    request(method, params, signal) {
      if (exited) return Promise.reject(exited);
      if (signal?.aborted) return Promise.reject(new McpClientError(`MCP ${method} aborted`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          pending.delete(id);
          write({ method: 'notifications/cancelled', params: { requestId: id, reason: 'aborted' } });
          reject(new McpClientError(`MCP ${method} aborted`));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => signal?.removeEventListener('abort', onAbort);
        pending.set(id, {
          method,
          resolve: (value) => {
            done();
            resolve(value);
          },
          reject: (error) => {
            done();
            reject(error);
          },
        });
        write({ id, method, params });
      });
    },
    notify(method, params) {
      write(params === undefined ? { method } : { method, params });
    },
    async close() {
      fail(new McpClientError(`MCP server "${name}" closed`));
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 1_000);
      await exitPromise;
      clearTimeout(killTimer);
    },
  };
}

function answerServerRequest(message: JsonObject, write: (message: JsonObject) => void): void {
  if (message.method === 'ping') write({ id: message.id, result: {} });
  else
    write({
      id: message.id,
      error: { code: -32601, message: `method not found: ${String(message.method)}` },
    });
}

function parseLine(line: string): JsonObject | undefined {
  if (!line.trim()) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function contentText(content: readonly unknown[]): string {
  return content
    .map((item) => {
      const entry = asObject(item);
      return entry.type === 'text' && typeof entry.text === 'string' ? entry.text : JSON.stringify(item);
    })
    .join('\n');
}
