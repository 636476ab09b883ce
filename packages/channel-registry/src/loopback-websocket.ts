/**
 * A minimal RFC 6455 WebSocket server on `node:http`, for the loopback fakes. It speaks text frames, answers
 * pings and close frames, and can drop the TCP connection on purpose. No extensions, no subprotocols: enough
 * for the platform clients under test, and no runtime dependency for the `./test` entry point.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface LoopbackSocket {
  readonly id: number;
  /** The request path and query the client connected with. */
  readonly url: string;
  readonly open: boolean;
  send(text: string): void;
  /** Sends a close frame (the client answers and the socket ends). */
  close(code?: number, reason?: string): void;
  /** Destroys the TCP connection without a close frame: a network drop. */
  terminate(): void;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: (code: number) => void): void;
}

export interface LoopbackWebSocketServer {
  readonly sockets: ReadonlySet<LoopbackSocket>;
  terminateAll(): void;
}

/** Accepts WebSocket upgrades on `server` for paths starting with `pathPrefix`. */
export function attachLoopbackWebSocketServer(
  server: Server,
  pathPrefix: string,
  onConnection: (socket: LoopbackSocket, request: IncomingMessage) => void,
): LoopbackWebSocketServer {
  const sockets = new Set<LoopbackSocket>();
  let nextId = 1;
  server.on('upgrade', (request: IncomingMessage, tcp: Duplex, head: Buffer) => {
    const key = request.headers['sec-websocket-key'];
    if (!request.url?.startsWith(pathPrefix) || typeof key !== 'string') {
      tcp.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    tcp.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const socket = createSocket(nextId++, request.url, tcp, head, () => sockets.delete(socket));
    sockets.add(socket);
    onConnection(socket, request);
  });
  return {
    sockets,
    terminateAll() {
      for (const socket of [...sockets]) socket.terminate();
    },
  };
}

function createSocket(
  id: number,
  url: string,
  tcp: Duplex,
  head: Buffer,
  onGone: () => void,
): LoopbackSocket {
  const messageListeners: Array<(text: string) => void> = [];
  const closeListeners: Array<(code: number) => void> = [];
  let buffer: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let open = true;
  let closeSent = false;
  let closeCode = 1006;
  let gone = false;

  const finish = () => {
    if (gone) return;
    gone = true;
    open = false;
    onGone();
    for (const listener of closeListeners) listener(closeCode);
  };

  const writeFrame = (opcode: number, payload: Buffer) => {
    if (tcp.destroyed || !tcp.writable) return;
    tcp.write(Buffer.concat([frameHeader(opcode, payload.length), payload]));
  };

  const sendClose = (code: number, reason: string) => {
    if (closeSent) return;
    closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    writeFrame(0x8, payload);
  };

  const parse = () => {
    for (;;) {
      const frame = readFrame(buffer);
      if (!frame) return;
      buffer = buffer.subarray(frame.size);
      handleFrame(frame.fin, frame.opcode, frame.payload);
    }
  };

  const handleFrame = (fin: boolean, opcode: number, payload: Buffer) => {
    switch (opcode) {
      case 0x0:
      case 0x1:
      case 0x2: {
        fragments.push(payload);
        if (!fin) return;
        const text = Buffer.concat(fragments).toString('utf8');
        fragments = [];
        if (!open) return;
        for (const listener of messageListeners) listener(text);
        return;
      }
      case 0x8: {
        closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        open = false;
        sendClose(closeCode === 1005 ? 1000 : closeCode, '');
        tcp.end();
        return;
      }
      case 0x9:
        writeFrame(0xa, payload);
        return;
      default:
        return;
    }
  };

  tcp.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    parse();
  });
  tcp.on('error', () => tcp.destroy());
  tcp.on('close', finish);
  tcp.on('end', () => tcp.end());
  if (buffer.length > 0) queueMicrotask(parse);

  return {
    id,
    url,
    get open() {
      return open;
    },
    send(text) {
      if (!open) return;
      writeFrame(0x1, Buffer.from(text, 'utf8'));
    },
    close(code = 1000, reason = '') {
      if (!open) return;
      open = false;
      closeCode = code;
      sendClose(code, reason);
      // A client that never answers the close frame still goes away.
      setTimeout(() => tcp.destroy(), 2_000).unref();
    },
    terminate() {
      open = false;
      closeCode = 1006;
      tcp.destroy();
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
  };
}

/** The header of an unmasked, final frame (server to client) of `length` payload bytes. */
function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65_536) {
    const header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** The first whole frame in `buffer` (payload unmasked) and its size in bytes, or undefined while incomplete. */
function readFrame(
  buffer: Buffer,
): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const b0 = buffer[0] ?? 0;
  const b1 = buffer[1] ?? 0;
  const masked = (b1 & 0x80) !== 0;
  let length = b1 & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskLength = masked ? 4 : 0;
  const size = offset + maskLength + length;
  if (buffer.length < size) return undefined;
  const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
  const payload = Buffer.from(buffer.subarray(offset + maskLength, size));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size };
}
