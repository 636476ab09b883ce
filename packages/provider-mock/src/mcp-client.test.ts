import { describe, expect, it } from 'vitest';
import { McpClientError } from './errors.js';
import { connectMcpStdio } from './mcp-client.js';
import { echoServer } from './test-utils.js';

function connect(env: Record<string, string> = {}, toolTimeoutMs?: number) {
  const config = echoServer(env);
  if (config.type !== 'stdio') throw new Error('unreachable');
  return connectMcpStdio({ name: 'echo', command: config.command, args: config.args, env, toolTimeoutMs });
}

describe('connectMcpStdio', () => {
  it('initializes, lists tools and calls one', async () => {
    const client = await connect();
    try {
      expect(client.serverInfo).toEqual({ name: 'echo-mcp', version: '1.0.0' });
      expect((await client.listTools()).map((t) => t.name)).toEqual(['echo', 'fail', 'slow', 'env']);
      expect(await client.callTool('echo', { text: 'hi' })).toEqual({
        text: 'echo:hi',
        isError: false,
        content: [{ type: 'text', text: 'echo:hi' }],
      });
      expect(await client.callTool('fail', {})).toMatchObject({
        isError: true,
        text: 'tool failed on purpose',
      });
    } finally {
      await client.close();
    }
  });

  it('passes only the given env to the server', async () => {
    const client = await connect({ ONLY_THIS: 'yes' });
    try {
      expect((await client.callTool('env', { name: 'ONLY_THIS' })).text).toBe('yes');
      expect((await client.callTool('env', { name: 'HOME' })).text).toBe('(unset)');
    } finally {
      await client.close();
    }
  });

  it('turns a JSON-RPC error into a rejection', async () => {
    const client = await connect();
    try {
      await expect(client.callTool('missing', {})).rejects.toThrow(/Unknown tool: missing/);
    } finally {
      await client.close();
    }
  });

  it('aborts a pending call', async () => {
    const client = await connect();
    try {
      const abort = new AbortController();
      const call = client.callTool('slow', { ms: 5_000 }, { signal: abort.signal });
      abort.abort();
      await expect(call).rejects.toThrow(/aborted/);
    } finally {
      await client.close();
    }
  });

  it('ends a call that outlasts toolTimeoutMs, and the client stays usable', async () => {
    const client = await connect({}, 200);
    try {
      await expect(client.callTool('slow', { ms: 2_000 })).rejects.toThrow(/timed out/i);
      expect((await client.callTool('echo', { text: 'after' })).text).toBe('echo:after');
    } finally {
      await client.close();
    }
  });

  it('rejects pending calls when closed, and close is idempotent', async () => {
    const client = await connect();
    const call = client.callTool('slow', { ms: 5_000 }).catch((error: unknown) => error);
    await client.close();
    expect(await call).toBeInstanceOf(McpClientError);
    await client.close();
  });

  it('fails clearly when the command does not exist', async () => {
    await expect(connectMcpStdio({ name: 'ghost', command: '/nonexistent/mcp-server' })).rejects.toThrow(
      /MCP server "ghost"/,
    );
  });

  it('fails clearly when the server exits during the handshake', async () => {
    await expect(
      connectMcpStdio({ name: 'dies', command: process.execPath, args: ['-e', 'process.exit(3)'] }),
    ).rejects.toThrow(/MCP server "dies" exited \(code 3\)/);
  });
});
