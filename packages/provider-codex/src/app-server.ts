import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { errorMessage, type Logger } from '@nanoclaw/core';
import { withTimeout } from '@nanoclaw/provider-utils';
import {
  createMessageConnection,
  ErrorCodes,
  type MessageConnection,
  ResponseError,
} from 'vscode-jsonrpc/node.js';
import { CodexProviderError } from './errors.js';
import { NdjsonMessageReader, NdjsonMessageWriter } from './ndjson.js';
import type {
  ClientMethod,
  ClientParams,
  ClientResponses,
  InitializeResponse,
  ServerNotification,
  ServerRequestResults,
} from './protocol.js';
import { PACKAGE_VERSION } from './version.js';

/** A JSON-RPC error app-server answered; `message` is Codex's own text. */
export class CodexRpcError extends CodexProviderError {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super('request-failed', message);
    this.name = 'CodexRpcError';
  }
}

export interface AppServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines app-server wrote to stderr. */
  stderr: string;
}

export interface AppServerOptions {
  binary: string;
  /** The complete child env (never `process.env` spread). */
  env: Record<string, string>;
  cwd?: string;
  logger?: Logger;
  /** Every server notification, in order. */
  onNotification(notification: ServerNotification): void;
  /** `clientInfo.name` (app-server sends it as the `originator` header). */
  clientName?: string;
  /** Max time for `initialize` (default 30 s). */
  startTimeoutMs?: number;
  /** Max time for any other request's answer (default 120 s; turns run after their turn/start answer). */
  requestTimeoutMs?: number;
}

export interface AppServer {
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** Settles once the process is gone. */
  readonly exited: Promise<AppServerExit>;
  readonly initializeResult: InitializeResponse;
  request<M extends ClientMethod>(method: M, params: ClientParams<M>): Promise<ClientResponses[M]>;
  /** Closes stdin (app-server exits and kills its children), then SIGKILLs the group after `graceMs`. */
  close(graceMs?: number): Promise<AppServerExit>;
}

const STDERR_TAIL_BYTES = 8_192;
/** Harmless stderr noise (a CODEX_HOME under the system temp dir, as in tests). */
const STDERR_NOISE = /could not create PATH aliases|Refusing to create helper binaries under temporary dir/;

/**
 * Spawns `codex app-server` and speaks JSON-RPC with it over stdio (newline-delimited), through `initialize`
 * and `initialized`. Every server→client request is answered (see `answerServerRequest`), so none can hang.
 */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const { logger } = options;
  const child: ChildProcessWithoutNullStreams = spawn(options.binary, ['app-server'], {
    env: options.env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so a forced close can kill the commands and MCP servers it started too.
    detached: process.platform !== 'win32',
  });
  let stderrTail = '';
  let alive = true;
  let stderrLine = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    stderrLine += chunk;
    const lines = stderrLine.split('\n');
    stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== '' && !STDERR_NOISE.test(line))
        logger?.debug({ stderr: line }, 'codex app-server stderr');
    }
  });
  const exited = new Promise<AppServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal, stderr: stderrTail });
    });
    child.once('error', (error) => {
      if (child.pid === undefined) {
        alive = false;
        resolve({ code: null, signal: null, stderr: `${stderrTail}${error.message}` });
      }
    });
  });
  child.stdin.on('error', () => {}); // EPIPE after exit surfaces through `exited`

  const connection: MessageConnection = createMessageConnection(
    new NdjsonMessageReader(child.stdout),
    new NdjsonMessageWriter(child.stdin),
  );
  connection.onNotification((method, params) => {
    try {
      options.onNotification({ method, params } as ServerNotification);
    } catch (error) {
      logger?.error({ err: error, method }, 'codex notification handler threw');
    }
  });
  connection.onRequest((method, params) => answerServerRequest(method, params, logger));
  connection.onError(([error]) => logger?.warn({ err: error }, 'codex app-server stream error'));
  connection.listen();

  const exitError = async () => {
    const exit = await exited;
    return new CodexProviderError(
      'app-server-exited',
      `codex app-server exited (${exit.signal ?? `code ${exit.code}`})${tailForMessage(exit.stderr)}`,
    );
  };

  const request = async <M extends ClientMethod>(
    method: M,
    params: ClientParams<M>,
  ): Promise<ClientResponses[M]> => {
    if (!alive) throw await exitError();
    const pending = connection.sendRequest(method, params) as Promise<ClientResponses[M]>;
    const lost = exited.then(exitError);
    const timeoutMs = method === 'initialize' ? undefined : (options.requestTimeoutMs ?? 120_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            reject(
              new CodexProviderError(
                'request-failed',
                `${method}: no answer from codex app-server in ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      }
    });
    try {
      return await Promise.race([pending, timeout, lost.then((error) => Promise.reject(error))]);
    } catch (error) {
      if (error instanceof ResponseError)
        throw new CodexRpcError(method, error.code, error.message, error.data);
      if (error instanceof CodexProviderError) throw error;
      if (!alive) throw await exitError();
      throw new CodexProviderError('request-failed', `${method}: ${errorMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      pending.catch(() => {});
    }
  };

  const kill = (signal: NodeJS.Signals) => {
    if (!alive || child.pid === undefined) return;
    try {
      if (process.platform !== 'win32') process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      child.kill(signal);
    }
  };

  let closing: Promise<AppServerExit> | undefined;
  const close = (graceMs = 2_000) => {
    closing ??= (async () => {
      child.stdin.end();
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      // Children app-server left behind (it kills them on a clean exit; a SIGKILL does not).
      if (process.platform !== 'win32' && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      }
      connection.dispose();
      return exit;
    })();
    return closing;
  };

  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  let initializeResult: InitializeResponse;
  try {
    initializeResult = await withTimeout(
      request('initialize', {
        clientInfo: { name: options.clientName ?? 'nanoclaw', title: null, version: PACKAGE_VERSION },
        capabilities: { experimentalApi: true, requestAttestation: false },
      }),
      startTimeoutMs,
      () =>
        new CodexProviderError(
          'app-server-exited',
          `codex app-server did not answer initialize in ${startTimeoutMs} ms`,
        ),
    );
    await connection.sendNotification('initialized');
  } catch (error) {
    await close(500);
    if (error instanceof CodexProviderError && error.code === 'app-server-exited') throw error;
    throw new CodexProviderError(
      'app-server-exited',
      `codex app-server failed to start: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }

  return {
    get pid() {
      return child.pid;
    },
    get alive() {
      return alive;
    },
    exited,
    initializeResult,
    request,
    close,
  };
}

/**
 * The answer to a server→client request. The session runs with `approvalPolicy: never`, so approvals should
 * not come; when they do, they are accepted (the sandbox is the boundary). Questions for a human get an empty
 * answer, anything unknown an error response: nothing is left waiting.
 */
export function answerServerRequest(method: string, params: unknown, logger?: Logger): unknown {
  logger?.debug({ method }, 'codex server request');
  const results: { [M in keyof ServerRequestResults]: () => ServerRequestResults[M] } = {
    'item/commandExecution/requestApproval': () => ({ decision: 'accept' }),
    'item/fileChange/requestApproval': () => ({ decision: 'accept' }),
    'item/permissions/requestApproval': () => {
      const requested = (params as { permissions?: { network?: unknown; fileSystem?: unknown } } | undefined)
        ?.permissions;
      return {
        permissions: {
          ...(requested?.network ? { network: requested.network } : {}),
          ...(requested?.fileSystem ? { fileSystem: requested.fileSystem } : {}),
        } as ServerRequestResults['item/permissions/requestApproval']['permissions'],
        scope: 'turn',
      };
    },
    'item/tool/requestUserInput': () => ({ answers: {} }),
    'mcpServer/elicitation/request': () => ({ action: 'decline', content: null, _meta: null }),
    'item/tool/call': () => ({
      contentItems: [{ type: 'inputText', text: 'no dynamic tools are registered by this client' }],
      success: false,
    }),
    'currentTime/read': () => ({ currentTimeAt: Math.floor(Date.now() / 1000) }),
    execCommandApproval: () => ({ decision: 'approved' }),
    applyPatchApproval: () => ({ decision: 'approved' }),
  };
  const answer = Object.hasOwn(results, method) ? results[method as keyof ServerRequestResults] : undefined;
  if (answer) return answer();
  logger?.warn(
    { method },
    'codex sent a server request this client does not handle; answering with an error',
  );
  return new ResponseError(ErrorCodes.MethodNotFound, `nanoclaw does not handle ${method}`);
}

function tailForMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !STDERR_NOISE.test(line))
    .slice(-5);
  return lines.length > 0 ? `: ${lines.join(' | ').slice(0, 1_000)}` : '';
}
