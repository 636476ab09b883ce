import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMessageConnection, type Message } from 'vscode-jsonrpc/node.js';
import { answerServerRequest } from './app-server.js';
import { isServerRequest, NdjsonMessageReader, NdjsonMessageWriter, parseNdjsonMessage } from './ndjson.js';

/** A client connection over two pipes, with a hand-driven "server" on the other ends. */
function pipePair() {
  const serverToClient = new PassThrough();
  const clientToServer = new PassThrough();
  const lines: unknown[] = [];
  let partial = '';
  clientToServer.setEncoding('utf8');
  clientToServer.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part));
  });
  const connection = createMessageConnection(
    new NdjsonMessageReader(serverToClient),
    new NdjsonMessageWriter(clientToServer),
  );
  connection.onRequest((method, params) => answerServerRequest(method, params));
  connection.listen();
  const nextLine = async (count: number) => {
    for (let i = 0; i < 200 && lines.length < count; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    return lines;
  };
  return { serverToClient, connection, lines, nextLine };
}

describe('newline-delimited JSON-RPC framing', () => {
  it('parses one object per line and adds the jsonrpc field app-server omits', () => {
    expect(parseNdjsonMessage('{"id":1,"result":{}}')).toEqual({ id: 1, result: {}, jsonrpc: '2.0' });
    expect(parseNdjsonMessage('not json')).toBeUndefined();
    expect(parseNdjsonMessage('[1,2]')).toBeUndefined();
  });

  it('treats id 0 as a request id (presence, not truthiness)', () => {
    expect(isServerRequest({ id: 0, method: 'item/commandExecution/requestApproval' })).toBe(true);
    expect(isServerRequest({ method: 'turn/started' })).toBe(false);
    expect(isServerRequest({ id: 0, result: {} })).toBe(false);
  });

  it('reads messages split across chunks and several per chunk; skips malformed lines', async () => {
    const input = new PassThrough();
    const reader = new NdjsonMessageReader(input);
    const seen: Message[] = [];
    const errors: Error[] = [];
    reader.onError((error) => errors.push(error));
    let closed = false;
    reader.onClose(() => {
      closed = true;
    });
    reader.listen((message) => seen.push(message));
    input.write('{"method":"a","par');
    input.write('ams":{"x":"é"}}\n{"method":"b"}\n');
    input.write('garbage\n\n');
    input.end('{"method":"c"}');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([
      { jsonrpc: '2.0', method: 'a', params: { x: 'é' } },
      { jsonrpc: '2.0', method: 'b' },
      { jsonrpc: '2.0', method: 'c' },
    ]);
    expect(errors).toHaveLength(1);
    expect(closed).toBe(true);
  });

  it('writes one JSON object per line, no Content-Length header', async () => {
    const output = new PassThrough();
    const writer = new NdjsonMessageWriter(output);
    await writer.write({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } as Message);
    await writer.write({ jsonrpc: '2.0', method: 'initialized' } as Message);
    expect(output.read().toString()).toBe(
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}\n{"jsonrpc":"2.0","method":"initialized"}\n',
    );
  });

  it('reports a write to a closed stdin through onError and resolves (the exit ends the request)', async () => {
    const output = new PassThrough();
    const writer = new NdjsonMessageWriter(output);
    const errors: unknown[] = [];
    writer.onError((error) => errors.push(error));
    output.destroy();
    await expect(writer.write({ jsonrpc: '2.0', method: 'initialized' } as Message)).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('answers every server→client request, the first one (id 0) included', async () => {
    const { serverToClient, connection, nextLine } = pipePair();
    serverToClient.write(
      `${JSON.stringify({ id: 0, method: 'item/commandExecution/requestApproval', params: { command: 'ls' } })}\n`,
    );
    serverToClient.write(`${JSON.stringify({ id: 1, method: 'execCommandApproval', params: {} })}\n`);
    serverToClient.write(
      `${JSON.stringify({ id: 'x', method: 'item/fileChange/requestApproval', params: {} })}\n`,
    );
    serverToClient.write(`${JSON.stringify({ id: 3, method: 'item/tool/requestUserInput', params: {} })}\n`);
    serverToClient.write(`${JSON.stringify({ id: 4, method: 'some/futureRequest', params: {} })}\n`);
    const lines = (await nextLine(5)) as { id: unknown; result?: unknown; error?: { code: number } }[];
    const byId = new Map(lines.map((line) => [line.id, line]));
    expect(byId.get(0)?.result).toEqual({ decision: 'accept' });
    expect(byId.get(1)?.result).toEqual({ decision: 'approved' });
    expect(byId.get('x')?.result).toEqual({ decision: 'accept' });
    expect(byId.get(3)?.result).toEqual({ answers: {} });
    expect(byId.get(4)?.error?.code).toBe(-32601);
    connection.dispose();
  });

  it('resolves client requests from responses without the jsonrpc field', async () => {
    const { serverToClient, connection, nextLine } = pipePair();
    const pending = connection.sendRequest('thread/start', { cwd: '/tmp' });
    const [request] = (await nextLine(1)) as { id: number; method: string }[];
    expect(request?.method).toBe('thread/start');
    serverToClient.write(`${JSON.stringify({ id: request?.id, result: { thread: { id: 't1' } } })}\n`);
    await expect(pending).resolves.toEqual({ thread: { id: 't1' } });
    connection.dispose();
  });
});
