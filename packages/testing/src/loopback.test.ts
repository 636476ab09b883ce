import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, readServerSentEvents } from './loopback.js';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('freePort', () => {
  it('returns a port a server can listen on', async () => {
    const port = await freePort();
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as AddressInfo).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('readServerSentEvents', () => {
  it('yields each event data, across chunk boundaries and multi-line data, skipping comments', async () => {
    const seen: string[] = [];
    await readServerSentEvents(
      streamOf(
        ': keep-alive\n\ndata: {"a"',
        ':1}\n\nevent: x\ndata: one\ndata: two\n\n',
        'data: tail-without-end',
      ),
      (data) => seen.push(data),
    );
    expect(seen).toEqual(['{"a":1}', 'one\ntwo']);
  });

  it('resolves instead of rejecting when the handler throws or the stream errors', async () => {
    const seen: string[] = [];
    await expect(
      readServerSentEvents(streamOf('data: not json\n\ndata: later\n\n'), (data) => {
        seen.push(data);
        JSON.parse(data);
      }),
    ).resolves.toBeUndefined();
    expect(seen).toEqual(['not json']);
    const failing = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.error(new Error('reset')),
    });
    await expect(readServerSentEvents(failing, () => {})).resolves.toBeUndefined();
  });
});
