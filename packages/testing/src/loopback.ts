/**
 * Loopback helpers for code that talks to a real host over HTTP: a free port to start it on, and a reader for
 * its server-sent event stream. They import nothing from vitest, so the benches and the fault suite use them
 * through `@nanoclaw/testing/loopback` as well as the tests.
 */
import net from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; the probe server is closed again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Reads a `text/event-stream` body and calls `onData` with each event's `data` (multi-line data joined with
 * `\n`; events without data skipped). Resolves when the stream ends, is aborted, or `onData` throws: it never
 * rejects, so `void readServerSentEvents(...)` is safe.
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onData: (data: string) => void,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        buffer = buffer.slice(end + 2);
        if (data) onData(data);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch {
    // Aborted, the server went away, or onData refused the data: the stream is over either way.
  }
}
