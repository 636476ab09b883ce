import { randomUUID } from 'node:crypto';
import { type AgentSession, errorMessage, type TurnInput } from '@nanoclaw/core';
import {
  type CompactionReason,
  type EmitEvent,
  LoopSession,
  openSession,
  type ProviderSessionInit,
} from '@nanoclaw/provider-utils';
import { createOpencodeClient, type OpencodeClient, type Event as OpencodeEvent } from '@opencode-ai/sdk/v2';
import { isSessionIdShape, unwrap } from './client.js';
import { CompactionTracker } from './compaction.js';
import type { ModelRef } from './config.js';
import { isOpencodeSessionInvalid, OpencodeProviderError } from './errors.js';
import { promptParts } from './prompt-parts.js';
import { type OpencodeServer, type ServerExit, startOpencodeServer } from './server.js';
import { type RetryStatus, TurnTracker } from './turn.js';

/** An opencode session: the spec's `AgentSession`, plus the server's pid and URL (for diagnostics). */
export interface OpencodeAgentSession extends AgentSession {
  /** The pid of the running `opencode serve`; undefined once closed (or between a crash and the restart). */
  readonly pid: number | undefined;
  /** The server's URL, e.g. `http://127.0.0.1:4096`. */
  readonly url: string | undefined;
}

/** Everything a session needs, resolved by the provider. */
export interface OpencodeSessionInit extends ProviderSessionInit {
  binary: string;
  /** The complete server env (config included). */
  childEnv: Record<string, string>;
  model?: ModelRef;
  maxRetries: number;
  serveArgs?: readonly string[];
}

/** Tries to open the event stream before giving up on a server. */
const SSE_CONNECT_ATTEMPTS = 3;

interface Connection {
  server: OpencodeServer;
  client: OpencodeClient;
  events: AbortController;
}

/**
 * Spawns `opencode serve`, subscribes to its event stream, then creates the session (or checks that
 * `options.continuation` exists). A continuation that names no session rejects with a `session-invalid`
 * `OpencodeProviderError`.
 */
export function createOpencodeSession(init: OpencodeSessionInit): Promise<OpencodeAgentSession> {
  return openSession(new OpencodeSession(init));
}

class OpencodeSession extends LoopSession<TurnTracker> implements OpencodeAgentSession {
  private connection: Connection | undefined;
  private sessionId: string | undefined;
  /** The directory the session belongs to (its events go to that directory's instance). */
  private directory: string;
  private compaction: CompactionTracker | undefined;
  private readonly mcpServers: string[];

  constructor(private readonly init: OpencodeSessionInit) {
    super(init, 'opencode', (message) => new OpencodeProviderError('closed', message));
    this.directory = init.options.cwd;
    this.mcpServers = Object.keys(init.options.mcpServers ?? {});
  }

  get continuation(): string | undefined {
    return this.sessionId;
  }

  get pid(): number | undefined {
    return this.connection?.server.alive ? this.connection.server.pid : undefined;
  }

  get url(): string | undefined {
    return this.connection?.server.url;
  }

  async open(): Promise<void> {
    const resume = this.init.options.continuation;
    if (resume !== undefined && !isSessionIdShape(resume)) {
      throw new OpencodeProviderError(
        'session-invalid',
        `not an opencode session id: ${JSON.stringify(resume)}`,
      );
    }
    await this.connect(resume);
    this.log.debug({ sessionId: this.sessionId, resumed: resume !== undefined }, 'opencode session open');
  }

  // --- turns ------------------------------------------------------------------------------------------------

  protected createTurn(_input: TurnInput, emit: EmitEvent): TurnTracker {
    const turn: TurnTracker = new TurnTracker(`turn-${randomUUID()}`, emit, this.mcpServers, {
      onRetry: (retry) => this.onRetry(turn, retry),
      onCompacted: () => emit({ type: 'compaction-end', ok: true, reason: 'runtime' }),
      onRunning: () => {
        if (turn.interruptSent) this.abortSession();
      },
    });
    return turn;
  }

  /** Only a prompted turn can be aborted; one still being prompted is aborted once the prompt is in. */
  protected interruptTurn(turn: TurnTracker): void {
    if (turn.prompted) this.abortTurn(turn);
  }

  protected async runTurn(turn: TurnTracker, input: TurnInput, emit: EmitEvent): Promise<void> {
    emit({ type: 'turn-start', turnId: turn.turnId, input });
    try {
      const { client } = await this.ensureConnection();
      await unwrap(
        'session.promptAsync',
        client.session.promptAsync({
          sessionID: this.sessionId as string,
          directory: this.directory,
          parts: await promptParts(input, this.init.options.cwd),
          ...(this.init.model ? { model: this.init.model } : {}),
          ...(this.init.options.instructions ? { system: this.init.options.instructions } : {}),
        }),
      );
      turn.prompted = true;
    } catch (error) {
      if (this.closed) {
        turn.finish('interrupted');
      } else {
        const invalid = isOpencodeSessionInvalid(error);
        turn.localError = {
          message: errorMessage(error),
          code: invalid ? 'session-invalid' : this.connection ? 'request-failed' : 'runtime-exited',
          retryable: !invalid,
        };
        turn.finish('failed');
      }
    }
    if (turn.status === undefined && (turn.interruptRequested || turn.localError)) this.abortTurn(turn);
    await turn.done;
    turn.end();
  }

  /** opencode retries a failing model request forever: past `maxRetries` the turn fails and is aborted. */
  private onRetry(turn: TurnTracker, retry: RetryStatus): void {
    this.log.warn({ attempt: retry.attempt, message: retry.message }, 'opencode is retrying a model request');
    if (retry.attempt <= this.init.maxRetries || turn.localError) return;
    turn.localError = {
      message: `the model request failed ${retry.attempt} times (giving up after ${this.init.maxRetries} retries): ${retry.message}`,
      code: 'model-error',
      retryable: true,
    };
    if (turn.prompted) this.abortTurn(turn);
  }

  /**
   * `session.abort`; opencode then goes idle and the turn ends there. It waits until the turn really runs
   * (`TurnHooks.onRunning`). Ended here after `interruptTimeoutMs` whatever happens.
   */
  private abortTurn(turn: TurnTracker): void {
    const armed = turn.startInterrupt(this.init.interruptTimeoutMs, () => {
      this.log.warn({ turnId: turn.turnId }, 'opencode did not end an aborted turn in time; ending it here');
      turn.finish(turn.interruptRequested ? 'interrupted' : 'failed');
    });
    if (armed && turn.running) this.abortSession();
  }

  /** Sends `session.abort` without waiting for it; a failure is logged (the turn's deadline ends it anyway). */
  private abortSession(): void {
    const connection = this.connection;
    if (!connection || !this.sessionId) return;
    unwrap(
      'session.abort',
      connection.client.session.abort({ sessionID: this.sessionId, directory: this.directory }),
    ).catch((error: unknown) => this.log.warn({ err: error }, 'opencode session.abort failed'));
  }

  // --- compaction -------------------------------------------------------------------------------------------

  /** `session.summarize`, then waits for the compaction to finish; a failure is reported, never thrown. */
  protected async runCompaction(_reason: CompactionReason, emit: EmitEvent): Promise<void> {
    const state = new CompactionTracker({
      maxRetries: this.init.maxRetries,
      onGiveUp: () => this.abortSession(),
    });
    this.compaction = state;
    const startedAt = Date.now();
    const timer = setTimeout(() => {
      state.resolve({ ok: false, error: `compaction did not finish in ${this.init.compactTimeoutMs} ms` });
      this.abortSession();
    }, this.init.compactTimeoutMs);
    try {
      const { client } = await this.ensureConnection();
      await unwrap(
        'session.summarize',
        client.session.summarize({
          sessionID: this.sessionId as string,
          directory: this.directory,
          ...(this.init.model
            ? { providerID: this.init.model.providerID, modelID: this.init.model.modelID }
            : {}),
        }),
      );
    } catch (error) {
      state.resolve({ ok: false, error: errorMessage(error) });
    }
    const result = await state.promise;
    clearTimeout(timer);
    this.compaction = undefined;
    if (result.ok) this.log.info({ ms: Date.now() - startedAt }, 'opencode compacted the session');
    else this.log.warn({ error: result.error }, 'opencode compaction failed; continuing uncompacted');
    emit({
      type: 'compaction-end',
      ok: result.ok,
      reason: 'requested',
      ...(result.ok || result.error === undefined ? {} : { error: result.error }),
    });
  }

  // --- the server -------------------------------------------------------------------------------------------

  /** On close: a compaction in progress fails, then the process stops. */
  protected async stopRuntime(): Promise<void> {
    this.compaction?.resolve({ ok: false, error: 'session closed' });
    const connection = this.connection;
    this.connection = undefined;
    connection?.events.abort();
    await connection?.server.close();
  }

  /** The live connection; after a crash, a new server with the session resumed. */
  private async ensureConnection(): Promise<Connection> {
    if (this.closed) throw new OpencodeProviderError('closed', 'opencode session is closed');
    if (this.connection?.server.alive) return this.connection;
    this.log.warn(
      { sessionId: this.sessionId },
      'opencode serve is gone; restarting it and resuming the session',
    );
    await this.connect(this.sessionId);
    return this.connection as unknown as Connection;
  }

  /** Spawns the server, subscribes to its events, then resumes `resumeId` or creates a session. */
  private async connect(resumeId: string | undefined): Promise<void> {
    const server = await startOpencodeServer({
      binary: this.init.binary,
      env: this.init.childEnv,
      cwd: this.init.options.cwd,
      logger: this.log,
      startTimeoutMs: this.init.startTimeoutMs,
      ...(this.init.serveArgs ? { args: this.init.serveArgs } : {}),
    });
    const client = createOpencodeClient({ baseUrl: server.url });
    const connection: Connection = { server, client, events: new AbortController() };
    try {
      if (resumeId !== undefined) {
        const info = await unwrap(
          'session.get',
          client.session.get({ sessionID: resumeId, directory: this.init.options.cwd }),
        );
        this.directory = info.directory || this.init.options.cwd;
      }
      if (this.closed) throw new OpencodeProviderError('closed', 'opencode session is closed');
      this.connection = connection;
      void server.exited.then((exit) => this.onExit(server, exit));
      await this.subscribe(connection);
      if (resumeId === undefined) {
        const info = await unwrap('session.create', client.session.create({ directory: this.directory }));
        this.sessionId = info.id;
      } else {
        this.sessionId = resumeId;
      }
    } catch (error) {
      if (this.connection === connection) this.connection = undefined;
      connection.events.abort();
      await server.close(500);
      throw error;
    }
  }

  /**
   * Reads the server's event stream in the background; resolves once it is connected. Connecting is retried
   * (`SSE_CONNECT_ATTEMPTS`); a stream lost later is not resumed, since events in the gap would be missed: the
   * server is restarted instead (the running turn fails, the next one resumes the session).
   */
  private async subscribe(connection: Connection): Promise<void> {
    const { client, server, events } = connection;
    let isConnected = false;
    let lost = false;
    const { stream } = await client.event.subscribe(
      { directory: this.directory },
      {
        signal: events.signal,
        sseMaxRetryAttempts: SSE_CONNECT_ATTEMPTS,
        sseDefaultRetryDelay: 100,
        onSseError: (error: unknown) => {
          if (events.signal.aborted) return;
          this.log.warn({ err: error, connected: isConnected }, 'opencode event stream failed');
          if (isConnected) {
            lost = true;
            events.abort();
          }
        },
      },
    );
    let markConnected: () => void = () => {};
    const connected = new Promise<void>((resolve) => {
      markConnected = resolve;
    });
    (async () => {
      try {
        for await (const event of stream as AsyncIterable<OpencodeEvent>) {
          isConnected = true;
          markConnected();
          this.onEvent(event);
        }
      } catch (error) {
        if (!events.signal.aborted) this.log.warn({ err: error }, 'opencode event stream failed');
      }
      if ((lost || !events.signal.aborted) && this.connection === connection && !this.closed) {
        this.log.error('opencode event stream ended; restarting the server');
        void server.close(500);
      }
    })().catch((error: unknown) => this.log.error({ err: error }, 'opencode event reader failed'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new OpencodeProviderError('server-exited', 'opencode event stream did not connect in time')),
        this.init.startTimeoutMs,
      );
    });
    const exited = server.exited.then((exit) => {
      throw new OpencodeProviderError('server-exited', exitMessage(exit));
    });
    try {
      await Promise.race([connected, timeout, exited]);
    } finally {
      clearTimeout(timer);
      exited.catch(() => {});
    }
  }

  private onEvent(event: OpencodeEvent): void {
    const properties = (event as { properties?: { sessionID?: unknown } }).properties;
    if (!this.sessionId || properties?.sessionID !== this.sessionId) return;
    this.compaction?.handle(event);
    this.turn?.handle(event);
  }

  private onExit(server: OpencodeServer, exit: ServerExit): void {
    if (this.closed || this.connection?.server !== server) return;
    const message = exitMessage(exit);
    this.log.error({ code: exit.code, signal: exit.signal, output: exit.output.slice(-2_000) }, message);
    this.connection.events.abort();
    this.connection = undefined;
    const turn = this.turn;
    if (turn && turn.status === undefined) {
      turn.localError = { message, code: 'runtime-exited', retryable: true };
      turn.finish(turn.interruptRequested ? 'interrupted' : 'failed');
    }
    this.compaction?.resolve({ ok: false, error: message });
  }
}

function exitMessage(exit: ServerExit): string {
  return `opencode serve exited unexpectedly (${exit.signal ?? `code ${exit.code}`})`;
}
