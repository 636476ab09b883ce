import type { Readable, Writable } from 'node:stream';
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc/node.js';

/**
 * Reads newline-delimited JSON-RPC (one object per line, no `Content-Length` headers), as `codex app-server`
 * writes it. app-server omits `"jsonrpc":"2.0"`; it is added here so vscode-jsonrpc sees standard messages.
 * A line that is not a JSON object is reported through `onError` and skipped.
 */
export class NdjsonMessageReader extends AbstractMessageReader implements MessageReader {
  private buffer = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly readable: Readable) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer | string) => {
      this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
      let newline = this.buffer.indexOf('\n');
      while (newline !== -1) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        this.dispatch(line, callback);
        newline = this.buffer.indexOf('\n');
      }
    };
    const onEnd = () => {
      this.buffer += this.decoder.decode();
      if (this.buffer.trim() !== '') this.dispatch(this.buffer, callback);
      this.buffer = '';
      this.fireClose();
    };
    const onError = (error: Error) => this.fireError(error);
    this.readable.on('data', onData);
    this.readable.once('end', onEnd);
    this.readable.on('error', onError);
    return {
      dispose: () => {
        this.readable.off('data', onData);
        this.readable.off('end', onEnd);
        this.readable.off('error', onError);
      },
    };
  }

  private dispatch(raw: string, callback: DataCallback): void {
    const line = raw.trim();
    if (line === '') return;
    const message = parseNdjsonMessage(line);
    if (message === undefined) {
      this.fireError(new Error(`app-server wrote a line that is not a JSON object: ${line.slice(0, 200)}`));
      return;
    }
    callback(message);
  }
}

/** Parses one line into a JSON-RPC message, adding `"jsonrpc":"2.0"`; undefined when it is not an object. */
export function parseNdjsonMessage(line: string): Message | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return { ...(parsed as Record<string, unknown>), jsonrpc: '2.0' } as Message;
}

/**
 * True for a server→client request. Request ids start at 0, so presence is what counts, never truthiness
 * (`if (msg.id)` would drop the first request and hang the turn that waits on it).
 */
export function isServerRequest(message: object): boolean {
  return 'id' in message && 'method' in message;
}

/** Writes one JSON object per line. */
export class NdjsonMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly writable: Writable) {
    super();
    writable.on('error', (error: Error) => this.fireError(error));
    writable.on('close', () => this.fireClose());
  }

  /**
   * A failed write (EPIPE: app-server is dying) is reported through `onError` and then resolves: the pending
   * request ends when the process exit is seen (`app-server-exited`, which the session recovers from by
   * restarting). Rejecting instead made vscode-jsonrpc fail the request with a bare "write EPIPE" before the exit
   * was known, and rethrow it from a promise nobody awaits (an unhandled rejection).
   */
  write(message: Message): Promise<void> {
    return new Promise((resolve) => {
      if (this.writable.destroyed || this.writable.writableEnded) {
        this.fireError(new Error('app-server stdin is closed'), message, ++this.errorCount);
        resolve();
        return;
      }
      this.writable.write(`${JSON.stringify(message)}\n`, 'utf8', (error) => {
        if (error) {
          this.fireError(error, message, ++this.errorCount);
          resolve();
        } else {
          this.errorCount = 0;
          resolve();
        }
      });
    });
  }

  end(): void {
    this.writable.end();
  }
}
