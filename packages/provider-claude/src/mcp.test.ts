import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collect, ofType, turnEnds } from '@nanoclaw/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClaudeAgentSession } from './session.js';
import {
  type ClaudeTestWorld,
  cleanupTempDirs,
  createWorld,
  echoServer,
  testProvider,
} from './test-utils.js';

const worlds: ClaudeTestWorld[] = [];
const sessions: ClaudeAgentSession[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
  for (const world of worlds.splice(0)) await world.fake.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
afterAll(cleanupTempDirs);

interface HttpMcp {
  url: string;
  calls: { name: string; arguments: unknown; authorization: string | undefined }[];
}

/** A minimal MCP server over streamable HTTP (JSON answers, no SSE): tool `shout {text}` → `SHOUT:<TEXT>`. */
async function startHttpMcp(): Promise<HttpMcp> {
  const state: HttpMcp = { url: '', calls: [] };
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const message = JSON.parse(await readBody(req)) as { id?: number; method: string; params?: RpcParams };
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const result = answer(message.method, message.params, req, state);
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'http-mcp-1' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...result }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return state;
}

interface RpcParams {
  protocolVersion?: string;
  name?: string;
  arguments?: { text?: unknown };
}

function answer(
  method: string,
  params: RpcParams | undefined,
  req: IncomingMessage,
  state: HttpMcp,
): Record<string, unknown> {
  if (method === 'initialize') {
    return {
      result: {
        protocolVersion: params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'http-mcp', version: '1.0.0' },
      },
    };
  }
  if (method === 'tools/list') {
    return { result: { tools: [{ name: 'shout', description: 'Shouts', inputSchema: { type: 'object' } }] } };
  }
  if (method === 'tools/call') {
    state.calls.push({
      name: String(params?.name),
      arguments: params?.arguments,
      authorization: req.headers.authorization,
    });
    const text = `SHOUT:${String(params?.arguments?.text ?? '').toUpperCase()}`;
    return { result: { content: [{ type: 'text', text }] } };
  }
  return { error: { code: -32601, message: `method not found: ${method}` } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

describe('claude MCP servers', () => {
  it('passes stdio (with env) and http (with headers) servers through to Claude Code', async () => {
    const world = await createWorld();
    worlds.push(world);
    const http = await startHttpMcp();
    const session = await testProvider(world).startSession({
      cwd: world.cwd,
      env: world.env,
      mcpServers: {
        echo: echoServer({ SECRET_FOR_MCP: 'only-for-echo' }),
        remote: { type: 'http', url: http.url, headers: { authorization: 'Bearer mcp-token' } },
      },
    });
    sessions.push(session);
    world.fake.on('read-env', {
      mcp: { server: 'echo', tool: 'env', arguments: { name: 'SECRET_FOR_MCP' } },
      // biome-ignore lint/suspicious/noThenProperty: the fake names its follow-up step `then`
      then: { mcp: { server: 'remote', tool: 'shout', arguments: { text: 'hello' } }, text: 'Both done.' },
    });

    const events = await collect(session.prompt({ text: 'read-env' }));
    const calls = ofType(events, 'tool-call');
    expect(calls.map((call) => [call.kind, call.name])).toEqual([
      ['mcp', 'mcp__echo__env'],
      ['mcp', 'mcp__remote__shout'],
    ]);
    expect(ofType(events, 'tool-result').map((result) => result.output)).toEqual([
      'only-for-echo',
      'SHOUT:HELLO',
    ]);
    expect(http.calls).toEqual([
      { name: 'shout', arguments: { text: 'hello' }, authorization: 'Bearer mcp-token' },
    ]);
    expect(world.fake.sawText('SHOUT:HELLO')).toBe(true);
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'Both done.' }]);
  });

  it("ends an MCP call at the server's toolTimeoutMs (SDK timeout) with an error result", async () => {
    const world = await createWorld();
    worlds.push(world);
    const session = await testProvider(world).startSession({
      cwd: world.cwd,
      env: world.env,
      mcpServers: { echo: { ...echoServer(), toolTimeoutMs: 1_000 } },
    });
    sessions.push(session);
    world.fake.on('slow', {
      mcp: { server: 'echo', tool: 'slow', arguments: { ms: 5_000 } },
      text: 'It timed out.',
    });
    const events = await collect(session.prompt({ text: 'slow' }));
    // Without the timeout the 5 s call would end with "slept".
    expect(ofType(events, 'tool-result')[0]).toMatchObject({ name: 'mcp__echo__slow', isError: true });
    expect(ofType(events, 'tool-result')[0]?.output).toMatch(/timed out/i);
    expect(turnEnds(events)).toEqual([{ status: 'completed', text: 'It timed out.' }]);
  });

  it('reports a failing MCP tool as an error result', async () => {
    const world = await createWorld();
    worlds.push(world);
    const session = await testProvider(world).startSession({
      cwd: world.cwd,
      env: world.env,
      mcpServers: { echo: echoServer() },
    });
    sessions.push(session);
    world.fake.on('fail', { mcp: { server: 'echo', tool: 'fail', arguments: {} }, text: 'It failed.' });
    const events = await collect(session.prompt({ text: 'fail' }));
    expect(ofType(events, 'tool-result')[0]).toMatchObject({ name: 'mcp__echo__fail', isError: true });
    expect(ofType(events, 'tool-result')[0]?.output).toContain('tool failed on purpose');
  });
});
