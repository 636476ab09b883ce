import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { errorMessage, type Logger, signalProcessGroup } from '@nanoclaw/core';
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
  return AppServerProcess.start(options);
}

class AppServerProcess implements AppServer {
  readonly exited: Promise<AppServerExit>;
  readonly #options: AppServerOptions;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #connection: MessageConnection;
  #stderrTail = '';
  #stderrLine = '';
  #alive = true;
  #closing: Promise<AppServerExit> | undefined;
  #initializeResult: InitializeResponse | undefined;

  static async start(options: AppServerOptions): Promise<AppServerProcess> {
    const server = new AppServerProcess(options);
    await server.#initialize();
    return server;
  }

  private constructor(options: AppServerOptions) {
    this.#options = options;
    this.#child = spawn(options.binary, ['app-server'], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a forced close can kill the commands and MCP servers it started too.
      detached: process.platform !== 'win32',
    });
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => this.#onStderr(chunk));
    this.exited = this.#watchExit();
    this.#child.stdin.on('error', () => {}); // EPIPE after exit surfaces through `exited`
    this.#connection = this.#connect();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get initializeResult(): InitializeResponse {
    return this.#initializeResult as InitializeResponse;
  }

  async request<M extends ClientMethod>(method: M, params: ClientParams<M>): Promise<ClientResponses[M]> {
    if (!this.#alive) throw await this.#exitError();
    const pending = this.#connection.sendRequest(method, params) as Promise<ClientResponses[M]>;
    const lost = this.exited.then(() => this.#exitError());
    const timeoutMs = method === 'initialize' ? undefined : (this.#options.requestTimeoutMs ?? 120_000);
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
      throw await this.#requestError(method, error);
    } finally {
      clearTimeout(timer);
      pending.catch(() => {});
    }
  }

  close(graceMs = 2_000): Promise<AppServerExit> {
    this.#closing ??= this.#shutDown(graceMs);
    return this.#closing;
  }

  #onStderr(chunk: string): void {
    this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    this.#stderrLine += chunk;
    const lines = this.#stderrLine.split('\n');
    this.#stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== '' && !STDERR_NOISE.test(line))
        this.#options.logger?.debug({ stderr: line }, 'codex app-server stderr');
    }
  }

  #watchExit(): Promise<AppServerExit> {
    const child = this.#child;
    return new Promise<AppServerExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#alive = false;
        resolve({ code, signal, stderr: this.#stderrTail });
      });
      child.once('error', (error) => {
        if (child.pid === undefined) {
          this.#alive = false;
          resolve({ code: null, signal: null, stderr: `${this.#stderrTail}${error.message}` });
        }
      });
    });
  }

  #connect(): MessageConnection {
    const { logger } = this.#options;
    const connection = createMessageConnection(
      new NdjsonMessageReader(this.#child.stdout),
      new NdjsonMessageWriter(this.#child.stdin),
    );
    connection.onNotification((method, params) => {
      try {
        this.#options.onNotification({ method, params } as ServerNotification);
      } catch (error) {
        logger?.error({ err: error, method }, 'codex notification handler threw');
      }
    });
    connection.onRequest((method, params) => answerServerRequest(method, params, logger));
    connection.onError(([error]) => logger?.warn({ err: error }, 'codex app-server stream error'));
    connection.listen();
    return connection;
  }

  async #initialize(): Promise<void> {
    const startTimeoutMs = this.#options.startTimeoutMs ?? 30_000;
    try {
      this.#initializeResult = await withTimeout(
        this.request('initialize', {
          clientInfo: { name: this.#options.clientName ?? 'nanoclaw', title: null, version: PACKAGE_VERSION },
          capabilities: { experimentalApi: true, requestAttestation: false },
        }),
        startTimeoutMs,
        () =>
          new CodexProviderError(
            'app-server-exited',
            `codex app-server did not answer initialize in ${startTimeoutMs} ms`,
          ),
      );
      await this.#connection.sendNotification('initialized');
    } catch (error) {
      await this.close(500);
      if (error instanceof CodexProviderError && error.code === 'app-server-exited') throw error;
      throw new CodexProviderError(
        'app-server-exited',
        `codex app-server failed to start: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async #exitError(): Promise<CodexProviderError> {
    const exit = await this.exited;
    return new CodexProviderError(
      'app-server-exited',
      `codex app-server exited (${exit.signal ?? `code ${exit.code}`})${tailForMessage(exit.stderr)}`,
    );
  }

  /** What a failed request rejects with: Codex's own error, an exit, or `request-failed`. */
  async #requestError(method: ClientMethod, error: unknown): Promise<Error> {
    if (error instanceof ResponseError)
      return new CodexRpcError(method, error.code, error.message, error.data);
    if (error instanceof CodexProviderError) return error;
    if (!this.#alive) return this.#exitError();
    return new CodexProviderError('request-failed', `${method}: ${errorMessage(error)}`, { cause: error });
  }

  #kill(signal: NodeJS.Signals): void {
    if (this.#alive) signalProcessGroup(this.#child, signal);
  }

  async #shutDown(graceMs: number): Promise<AppServerExit> {
    const child = this.#child;
    child.stdin.end();
    const timer = setTimeout(() => this.#kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    // Children app-server left behind (it kills them on a clean exit; a SIGKILL does not).
    signalProcessGroup(child, 'SIGKILL');
    this.#connection.dispose();
    return exit;
  }
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
