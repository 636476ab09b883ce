import { PassThrough } from 'node:stream';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { AgentAction, AgentActionResult } from '@nanoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAgentTools } from './agent-tools-server.js';

type Forward = (action: AgentAction) => Promise<AgentActionResult>;

const open: PassThrough[] = [];
afterEach(() => {
  for (const stream of open.splice(0)) stream.end();
});

/** A client over in-memory streams: `request` sends one JSON-RPC line and resolves with the answer. */
function serve(forward: Forward = async (a) => ({ ok: true, result: { tool: a.tool } })) {
  const input = new PassThrough();
  const output = new PassThrough();
  open.push(input);
  const served = serveAgentTools({ input, output, forward });
  const answers = new Map<number, (message: Record<string, unknown>) => void>();
  let buffer = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
      buffer = buffer.slice(nl + 1);
      answers.get(message.id as number)?.(message);
    }
  });
  let nextId = 1;
  const request = (method: string, params?: unknown) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      answers.set(id, resolve);
      input.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  return { input, request, served };
}

describe('serveAgentTools', () => {
  it('initializes, echoing a supported protocol version or offering its own', async () => {
    const { request } = serve();
    const clientInfo = { name: 'test-client', version: '1.0.0' };
    expect(
      await request('initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo }),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        protocolVersion: '2025-03-26',
        capabilities: { tools: {} },
        serverInfo: { name: 'nanoclaw', version: '0.1.0' },
      },
    });
    const future = await request('initialize', {
      protocolVersion: '2099-01-01',
      capabilities: {},
      clientInfo,
    });
    expect((future.result as { protocolVersion: string }).protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('answers ping and lists the tools; ignores notifications', async () => {
    const { input, request } = serve();
    input.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    expect((await request('ping')).result).toEqual({});
    const list = (await request('tools/list')).result as { tools: { name: string }[] };
    expect(list.tools).toHaveLength(10);
  });

  it('forwards a valid call and returns the JSON result as text', async () => {
    const seen: AgentAction[] = [];
    const { request } = serve(async (action) => {
      seen.push(action);
      return { ok: true, result: { taskId: 't-9' } };
    });
    const answer = await request('tools/call', {
      name: 'schedule_task',
      arguments: { prompt: 'water the plants', schedule: { kind: 'cron', expression: '0 9 * * *' } },
    });
    expect(seen).toEqual([
      {
        tool: 'schedule_task',
        prompt: 'water the plants',
        schedule: { kind: 'cron', expression: '0 9 * * *' },
      },
    ]);
    expect(answer.result).toEqual({ content: [{ type: 'text', text: '{"taskId":"t-9"}' }], isError: false });
  });

  it('returns refusals, failures and invalid arguments as isError results', async () => {
    const { request } = serve(async (action) => {
      if (action.tool === 'cancel_task') throw new Error('socket gone');
      return { ok: false, error: 'only the main group may do that' };
    });
    const refused = await request('tools/call', {
      name: 'register_group',
      arguments: { folder: 'f', name: 'F' },
    });
    expect(refused.result).toEqual({
      content: [{ type: 'text', text: 'only the main group may do that' }],
      isError: true,
    });
    const failed = await request('tools/call', { name: 'cancel_task', arguments: { taskId: 't' } });
    expect(failed.result).toMatchObject({ isError: true, content: [{ text: 'socket gone' }] });
    const invalid = await request('tools/call', { name: 'pause_task', arguments: {} });
    expect(invalid.result).toMatchObject({ isError: true });
    expect(JSON.stringify(invalid.result)).toContain('taskId');
  });

  it('rejects unknown tools and methods with JSON-RPC errors', async () => {
    const { request } = serve();
    expect((await request('tools/call', { name: 'format_disk' })).error).toEqual({
      code: -32602,
      message: expect.stringContaining('Unknown tool: format_disk'),
    });
    expect((await request('resources/list')).error).toMatchObject({ code: -32601 });
  });

  it('resolves when its input ends', async () => {
    const { input, served } = serve();
    input.end();
    await expect(served).resolves.toBeUndefined();
  });
});
