import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '@nanoclaw/core';
import { McpClientError } from './errors.js';

const STDERR_TAIL = 2_000;
const KILL_AFTER_MS = 1_000;

export interface ChildProcessTransportOptions {
  /** The server's name in `mcpServers`, used in error messages. */
  name: string;
  command: string;
  args?: readonly string[];
  /** The complete environment of the server process. */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * The SDK's stdio framing over a child this transport spawns. Unlike the SDK's own stdio transport, the server
 * gets exactly the given env (that one adds the runner's HOME, PATH, …), and a server that dies is reported
 * with its exit status and the tail of its stderr.
 */
export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #options: ChildProcessTransportOptions;
  readonly #buffer = new ReadBuffer();
  #child: ChildProcessWithoutNullStreams | undefined;
  #closed: Promise<void> = Promise.resolve();
  #stderrTail = '';
  /** Why the connection is over, once it is: what pending and later calls fail with. */
  #ended: McpClientError | undefined;

  constructor(options: ChildProcessTransportOptions) {
    this.#options = options;
  }

  start(): Promise<void> {
    const { name, command, args, env, cwd } = this.#options;
    const child = spawn(command, [...(args ?? [])], { env: env ?? {}, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL);
    });
    child.stdin.on('error', () => {
      // EPIPE when the server died; 'exit' reports it.
    });
    child.stdout.on('data', (chunk: Buffer) => this.#read(chunk));
    child.once('exit', (code, signal) => {
      const detail = this.#stderrTail.trim() ? `: ${this.#stderrTail.trim()}` : '';
      this.#ended ??= new McpClientError(
        `MCP server "${name}" exited (${signal ?? `code ${code}`})${detail}`,
      );
    });
    child.once('close', () => this.onclose?.());
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        this.#ended ??= new McpClientError(`MCP server "${name}": ${error.message}`);
        reject(this.#ended);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (this.#ended || !stdin?.writable) return Promise.reject(this.failure('MCP send failed'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Marks the connection as closed by this side: pending calls then fail with "closed". */
  closing(): void {
    this.#ended ??= new McpClientError(`MCP server "${this.#options.name}" closed`);
  }

  /** Ends the server process: SIGTERM, then SIGKILL after a second. Idempotent. */
  async close(): Promise<void> {
    this.closing();
    const child = this.#child;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await this.#closed;
    clearTimeout(killTimer);
  }

  /** The error a failed request reports: why the connection ended, if it did, else `what` and the cause. */
  failure(what: string, cause?: unknown): McpClientError {
    if (this.#ended) return this.#ended;
    if (cause instanceof McpClientError) return cause;
    return new McpClientError(cause === undefined ? what : `${what}: ${errorMessage(cause)}`, { cause });
  }

  #read(chunk: Buffer): void {
    try {
      this.#buffer.append(chunk);
    } catch (error) {
      // A message beyond the SDK's buffer limit: the stream cannot be resynchronised.
      this.#ended ??= new McpClientError(`MCP server "${this.#options.name}": ${errorMessage(error)}`);
      this.close().catch(() => undefined);
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#buffer.readMessage();
      } catch (error) {
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }
}
