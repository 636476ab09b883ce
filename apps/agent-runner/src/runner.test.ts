import { PassThrough } from 'node:stream';
import {
  type AgentProvider,
  type AgentSession,
  HostToRunner,
  type SessionOptions,
  silentLogger,
} from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { AGENT_TOOLS_SERVER, AGENT_TOOLS_TIMEOUT_MS, createRunner } from './runner.js';
import { sessionParams } from './test-utils.js';

const streams: PassThrough[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.destroy();
});

/** A runner in this process, on in-memory streams, with a provider whose session's close fails. */
function inProcessRunner(started: SessionOptions[] = []) {
  const toRunner = new PassThrough();
  const toHost = new PassThrough();
  streams.push(toRunner, toHost);
  const host = createMessageConnection(new StreamMessageReader(toHost), new StreamMessageWriter(toRunner));
  const exits: number[] = [];
  const session = {
    continuation: 'c-1',
    close: () => Promise.reject(new Error('close failed')),
  } as unknown as AgentSession;
  const provider = {
    startSession: async (options: SessionOptions) => {
      started.push(options);
      return session;
    },
    isSessionInvalid: () => false,
  } as unknown as AgentProvider;
  const runner = createRunner({
    connection: createMessageConnection(new StreamMessageReader(toRunner), new StreamMessageWriter(toHost)),
    mcpServerPath: '/nonexistent/mcp-server.js',
    logger: silentLogger,
    loadProvider: async () => provider,
    env: {},
    exit: (code) => exits.push(code),
    shutdownTimeoutMs: 50,
  });
  host.listen();
  runner.start();
  return { host, runner, exits };
}

describe('createRunner', () => {
  it("gives its own nanoclaw MCP server a 65 min tool timeout and leaves the group's servers as they are", async () => {
    const started: SessionOptions[] = [];
    const { host, runner } = inProcessRunner(started);
    const search = { type: 'stdio', command: 'node', args: [], env: {}, toolTimeoutMs: 120_000 };
    const plain = { type: 'stdio', command: 'node', args: [], env: {} };
    await host.sendRequest(HostToRunner.sessionStart, sessionParams({ mcpServers: { search, plain } }));
    const servers = started[0]?.mcpServers ?? {};
    expect(servers[AGENT_TOOLS_SERVER]?.toolTimeoutMs).toBe(3_900_000);
    expect(AGENT_TOOLS_TIMEOUT_MS).toBe(3_900_000);
    expect(servers.search).toEqual(search);
    expect(servers.plain).toEqual(plain);
    await runner.shutdown(0, 'test');
    host.dispose();
  });

  it('shutdown never rejects, even when the session fails to close, and exits once', async () => {
    const { host, runner, exits } = inProcessRunner();
    await expect(host.sendRequest(HostToRunner.sessionStart, sessionParams())).resolves.toEqual({
      continuation: 'c-1',
      resumed: false,
    });
    const first = runner.shutdown(3, 'test');
    const second = runner.shutdown(0, 'again');
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    expect(exits).toEqual([3]);
    expect(runner.busy).toBe(false);
    host.dispose();
  });
});
