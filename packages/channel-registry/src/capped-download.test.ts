import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachmentTooLargeError, collectCapped, readCappedResponse } from './capped-download.js';
import { ChannelError } from './channel-error.js';

describe('readCappedResponse', () => {
  let url = '';
  let bytesSent = 0;
  const server = createServer((req, res) => {
    if (req.url === '/declared') {
      res.writeHead(200, { 'content-length': '1000' });
      res.end(Buffer.alloc(1000, 1));
      return;
    }
    // Chunked, no Content-Length: 64 KB pieces until the client stops reading (at most 8 MB).
    res.writeHead(200);
    const piece = Buffer.alloc(64 * 1024, 2);
    const write = () => {
      while (bytesSent < 8 * 1024 * 1024) {
        bytesSent += piece.length;
        if (!res.write(piece)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads a body within the limit', async () => {
    const bytes = await readCappedResponse(await fetch(`${url}/declared`), { maxBytes: 1000 });
    expect(bytes.byteLength).toBe(1000);
  });

  it('refuses a declared size over the limit before reading it, as a permanent channel error', async () => {
    const error = await readCappedResponse(await fetch(`${url}/declared`), { maxBytes: 999 }).catch((e) => e);
    expect(AttachmentTooLargeError.isInstance(error)).toBe(true);
    expect(ChannelError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ maxBytes: 999, sizeBytes: 1000, permanent: true });
  });

  it('stops reading a body without Content-Length once it passes the limit', async () => {
    const error = await readCappedResponse(await fetch(`${url}/stream`), { maxBytes: 100_000 }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ maxBytes: 100_000, permanent: true });
    expect(error.sizeBytes).toBeUndefined();
    expect(bytesSent).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('collectCapped', () => {
  async function* chunks(count: number) {
    for (let i = 0; i < count; i++) yield Buffer.alloc(10, i);
  }

  it('joins the chunks; over the limit it rejects; an aborted signal stops it', async () => {
    expect((await collectCapped(chunks(3), { maxBytes: 30 })).byteLength).toBe(30);
    await expect(collectCapped(chunks(4), { maxBytes: 30 })).rejects.toBeInstanceOf(AttachmentTooLargeError);
    await expect(collectCapped(chunks(2), { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
