import { existsSync } from 'node:fs';
import { errorMessage, type McpServerConfig } from '@nanoclaw/core';
import { McpClientError } from './errors.js';
import { connectMcpStdio, type McpClient, type McpToolResult } from './mcp-client.js';

/** Env keys an MCP server inherits from the session env, as MCP clients commonly do. */
const INHERITED_ENV_KEYS = ['HOME', 'LANG', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'TMPDIR', 'USER'];

export interface McpPool {
  /** Calls `server`'s `tool`, connecting on first use. Failures come back as an `isError` result. */
  call(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<McpToolResult>;
  /** Kills every server process. */
  close(): Promise<void>;
}

export interface McpPoolOptions {
  servers: Readonly<Record<string, McpServerConfig>>;
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/** Lazily connected MCP stdio clients for the servers a session was given. */
export function createMcpPool(options: McpPoolOptions): McpPool {
  const clients = new Map<string, Promise<ListedClient>>();

  const connect = (name: string): Promise<ListedClient> => {
    const existing = clients.get(name);
    if (existing) return existing;
    const config = options.servers[name];
    if (!config) return Promise.reject(new McpClientError(`unknown MCP server "${name}"`));
    if (config.type !== 'stdio') {
      return Promise.reject(new McpClientError(`MCP server "${name}": the mock supports only stdio servers`));
    }
    const client = connectListed({
      name,
      command: config.command,
      args: config.args,
      env: { ...inheritedEnv(options.env), ...config.env },
      // A cwd that does not exist would make spawn fail with a misleading ENOENT.
      cwd: options.cwd && existsSync(options.cwd) ? options.cwd : undefined,
      toolTimeoutMs: config.toolTimeoutMs,
    });
    clients.set(name, client);
    client.catch(() => clients.delete(name));
    return client;
  };

  return {
    async call(server, tool, args, signal) {
      try {
        const { client, tools } = await connect(server);
        if (!tools.has(tool)) throw new McpClientError(`MCP server "${server}" has no tool "${tool}"`);
        return await client.callTool(tool, args, { signal });
      } catch (error) {
        const text = errorMessage(error);
        return { text, isError: true, content: [{ type: 'text', text }] };
      }
    },
    async close() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(
        all.map((entry) => entry.then(({ client }) => client.close()).catch(() => undefined)),
      );
    },
  };
}

interface ListedClient {
  client: McpClient;
  /** The names `tools/list` returned right after the handshake, as a model would see them. */
  tools: ReadonlySet<string>;
}

async function connectListed(options: Parameters<typeof connectMcpStdio>[0]): Promise<ListedClient> {
  const client = await connectMcpStdio(options);
  try {
    return { client, tools: new Set((await client.listTools()).map((tool) => tool.name)) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

function inheritedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of INHERITED_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
