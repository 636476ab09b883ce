import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type AgentActionResult, errorMessage, type Logger } from '@nanoclaw/core';

/**
 * The local hop between the agent's MCP tool server (a child of the provider) and the runner's main process:
 * a unix socket, newline-delimited JSON. A request line is `{id, action}`, its answer `{id, result}` where
 * `result` is an `AgentActionResult`.
 */
export interface ActionBridge {
  readonly socketPath: string;
  close(): Promise<void>;
}

export interface ActionBridgeOptions {
  /** Handles one action (unvalidated: the handler validates). Never throws: failures are `{ok:false}`. */
  handle: (action: unknown) => Promise<AgentActionResult>;
  logger?: Logger;
  /** Parent of the private temp dir (default: the OS temp dir). */
  tmpRoot?: string;
}

/** Listens on `<private temp dir>/actions.sock` (dir 0700, socket 0600). */
export async function createActionBridge(options: ActionBridgeOptions): Promise<ActionBridge> {
  const dir = await mkdtemp(join(options.tmpRoot ?? tmpdir(), 'nanoclaw-runner-'));
  const socketPath = join(dir, 'actions.sock');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serveSocket(socket, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  let closed: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closed ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

function serveSocket(socket: Socket, options: ActionBridgeOptions): void {
  const lines = createInterface({ input: socket });
  lines.on('error', () => undefined); // the socket is destroyed by its own 'error' handler
  lines.on('line', (line) => {
    let request: { id?: unknown; action?: unknown };
    try {
      request = JSON.parse(line) as { id?: unknown; action?: unknown };
    } catch {
      options.logger?.warn('action bridge: dropped a line that is not JSON');
      return;
    }
    const reply = (result: AgentActionResult) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify({ id: request.id, result })}\n`);
    };
    // `handle` should answer failures as `{ ok: false }`; one that throws is refused the same way.
    options.handle(request.action).then(reply, (error: unknown) => {
      options.logger?.error({ err: error }, 'action bridge: the action handler failed');
      reply({ ok: false, error: errorMessage(error) });
    });
  });
}

/** The client side, used by the MCP tool server: sends one action and waits for its result. */
export function forwardAction(socketPath: string, action: unknown): Promise<AgentActionResult> {
  return new Promise((resolve) => {
    const id = 1;
    let settled = false;
    const settle = (result: AgentActionResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const socket = createConnection(socketPath, () => socket.write(`${JSON.stringify({ id, action })}\n`));
    socket.on('error', (error) => settle({ ok: false, error: `runner unreachable: ${error.message}` }));
    socket.on('close', () => settle({ ok: false, error: 'runner closed the connection before answering' }));
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // the socket's own 'error' handler answers
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { id?: unknown; result?: AgentActionResult };
        if (message.id === id && message.result) settle(message.result);
      } catch {
        settle({ ok: false, error: 'runner sent an unreadable answer' });
      }
    });
  });
}
