import type http from 'node:http';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client that lets this much pile up unread is dropped rather than buffered without end. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface SseStream {
  /** Writes `event: <type>` + `data: <json>`. No-op after close. */
  send(type: string, data: unknown): void;
  /** Ends the response; idempotent. */
  close(): void;
  readonly closed: boolean;
}

export interface OpenSseOptions {
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  /** Called once when the stream ends, whoever ended it (client disconnect, `close()`, overflow). */
  onClose?: () => void;
}

/**
 * Turns a response into a Server-Sent Events stream: headers flushed at once (so a client knows it is
 * subscribed), a `: heartbeat` comment every 15 s, cleanup when the client goes away.
 */
export function openSse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: OpenSseOptions = {},
): SseStream {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let closed = false;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  heartbeat.unref();

  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    options.onClose?.();
  };
  // The client went away (or half-closed): drop the connection, or it would linger until the server stops.
  const gone = () => {
    finish();
    res.destroy();
  };
  req.on('close', gone);
  res.on('close', gone);
  res.on('error', gone);

  function write(chunk: string): void {
    if (closed) return;
    if (res.writableLength > maxBuffered) {
      finish();
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  function close(): void {
    if (closed) return;
    finish();
    res.end();
  }

  return {
    send: (type, data) => write(formatEvent(type, data)),
    close,
    get closed() {
      return closed;
    },
  };
}

/** One SSE message; `data` may span lines (each gets its own `data:` prefix). */
export function formatEvent(type: string, data: unknown): string {
  const json = JSON.stringify(data) ?? 'null';
  const lines = json.split('\n').map((line) => `data: ${line}`);
  return `event: ${type.replace(/[\r\n]/g, '')}\n${lines.join('\n')}\n\n`;
}
