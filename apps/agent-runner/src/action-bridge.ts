import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AgentActionResult,
  agentActionResultSchema,
  errorMessage,
  type Logger,
  RunnerToHost,
} from '@nanoclaw/core';
import {
  createMessageConnection,
  type MessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
} from 'vscode-jsonrpc/node.js';

/**
 * The local hop between the agent's MCP tool server (a child of the provider) and the runner's main process:
 * a unix socket carrying the host protocol's `agent/action` request (JSON-RPC, Content-Length framing, as between
 * the host and the runner), answered with an `AgentActionResult`.
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
  const connection = socketConnection(socket);
  connection.onRequest(RunnerToHost.agentAction, (action: unknown) => options.handle(action));
  connection.onError(([error]) => options.logger?.warn({ err: error }, 'action bridge: unreadable message'));
  connection.listen();
}

/** The client side, used by the MCP tool server: sends one action and waits for its result. Never rejects. */
export async function forwardAction(socketPath: string, action: unknown): Promise<AgentActionResult> {
  let socket: Socket;
  try {
    socket = await connectSocket(socketPath);
  } catch (error) {
    return { ok: false, error: `runner unreachable: ${errorMessage(error)}` };
  }
  const connection = socketConnection(socket);
  connection.listen();
  try {
    const answer: unknown = await connection.sendRequest(RunnerToHost.agentAction, action);
    const checked = agentActionResultSchema.safeParse(answer);
    return checked.success ? checked.data : { ok: false, error: 'runner sent an unreadable answer' };
  } catch {
    return { ok: false, error: 'runner closed the connection before answering' };
  } finally {
    connection.dispose();
    socket.destroy();
  }
}

/** A JSON-RPC connection over `socket`; it is disposed (failing pending requests) when the socket closes. */
function socketConnection(socket: Socket): MessageConnection {
  const connection = createMessageConnection(
    new SocketMessageReader(socket),
    new SocketMessageWriter(socket),
  );
  connection.onClose(() => connection.dispose());
  return connection;
}

function connectSocket(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
