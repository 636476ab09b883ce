import { PassThrough } from 'node:stream';
import { type AgentProvider, type AgentSession, HostToRunner, silentLogger } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { createRunner } from './runner.js';
import { sessionParams } from './test-utils.js';

const streams: PassThrough[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.destroy();
});

/** A runner in this process, on in-memory streams, with a provider whose session's close fails. */
function inProcessRunner() {
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
    startSession: async () => session,
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
