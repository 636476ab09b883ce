import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachLoopbackWebSocketServer, type LoopbackSocket } from './loopback-websocket.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(onConnection: (socket: LoopbackSocket) => void) {
  server = createServer((_req, res) => res.writeHead(404).end());
  const ws = attachLoopbackWebSocketServer(server, '/ws', onConnection);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { ws, port: (server.address() as AddressInfo).port };
}

/** A raw client: upgrades, then reads unmasked server frames and writes masked client frames. */
function connect(port: number, path: string): Promise<{ tcp: Duplex; status: number; frames: Frame[] }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('upgrade', (res, tcp: Duplex) => {
      const frames: Frame[] = [];
      let buffer = Buffer.alloc(0);
      tcp.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        while (buffer.length >= 2 && buffer.length >= 2 + ((buffer[1] ?? 0) & 0x7f)) {
          const length = (buffer[1] ?? 0) & 0x7f;
          frames.push({ opcode: (buffer[0] ?? 0) & 0x0f, payload: buffer.subarray(2, 2 + length) });
          buffer = buffer.subarray(2 + length);
        }
      });
      resolve({ tcp, status: res.statusCode ?? 0, frames });
    });
    req.on('response', (res) => resolve({ tcp: res.socket, status: res.statusCode ?? 0, frames: [] }));
    req.on('error', reject);
    req.end();
  });
}

interface Frame {
  opcode: number;
  payload: Buffer;
}

function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]), mask, masked]);
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('attachLoopbackWebSocketServer', () => {
  it('exchanges text frames (fragmented too), answers pings and ends on a close frame', async () => {
    const received: string[] = [];
    const closes: number[] = [];
    const { ws, port } = await listen((socket) => {
      expect(socket.url).toBe('/ws?x=1');
      socket.onMessage((text) => {
        received.push(text);
        socket.send(`echo:${text}`);
      });
      socket.onClose((code) => closes.push(code));
    });
    const client = await connect(port, '/ws?x=1');
    expect(client.status).toBe(101);
    await until(() => ws.sockets.size === 1);

    client.tcp.write(clientFrame(0x1, Buffer.from('hello')));
    client.tcp.write(clientFrame(0x1, Buffer.from('par'), false));
    client.tcp.write(clientFrame(0x0, Buffer.from('ts')));
    client.tcp.write(clientFrame(0x9, Buffer.from('p')));
    await until(() => client.frames.length === 3);
    expect(received).toEqual(['hello', 'parts']);
    expect(client.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [0x1, 'echo:hello'],
      [0x1, 'echo:parts'],
      [0xa, 'p'],
    ]);

    const code = Buffer.alloc(2);
    code.writeUInt16BE(4000, 0);
    client.tcp.write(clientFrame(0x8, code));
    await until(() => closes.length === 1);
    expect(closes).toEqual([4000]);
    expect(client.frames.at(-1)?.opcode).toBe(0x8);
    expect(ws.sockets.size).toBe(0);
  });

  it('closes from the server side, and terminateAll drops the connections', async () => {
    const sockets: LoopbackSocket[] = [];
    const closes: number[] = [];
    const { ws, port } = await listen((socket) => {
      sockets.push(socket);
      socket.onClose((code) => closes.push(code));
    });
    const first = await connect(port, '/ws/a');
    await connect(port, '/ws/b');
    await until(() => ws.sockets.size === 2);

    sockets[0]?.close(1001, 'bye');
    expect(sockets[0]?.open).toBe(false);
    await until(() => first.frames.length === 1);
    expect(first.frames[0]?.opcode).toBe(0x8);
    expect(first.frames[0]?.payload.readUInt16BE(0)).toBe(1001);
    expect(first.frames[0]?.payload.subarray(2).toString()).toBe('bye');

    // The first client never answered the close frame, so both are still there to drop.
    expect(ws.sockets.size).toBe(2);
    ws.terminateAll();
    await until(() => closes.length === 2);
    expect(closes).toEqual([1006, 1006]);
    expect(ws.sockets.size).toBe(0);
  });

  it('answers 404 outside the path prefix', async () => {
    const { port } = await listen(() => {});
    const client = await connect(port, '/other');
    expect(client.status).toBe(404);
  });
});
