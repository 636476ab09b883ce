import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentEvent,
  type AgentSession,
  type Logger,
  type SessionOptions,
  type TurnInput,
  type TurnStatus,
} from '@nanoclaw/core';
import { createEventChannel, type EventChannel } from '@nanoclaw/provider-utils';
import { type AppServer, type AppServerExit, startAppServer } from './app-server.js';
import { CodexProviderError, errorMessage, isCodexSessionInvalid } from './errors.js';
import { toolCallOf, toolResultOf } from './items.js';
import type { ClientParams, ServerNotification, TokenUsageBreakdown } from './protocol.js';
import { readThreadState, writeThreadState } from './state.js';

/** A Codex session: the spec's `AgentSession`, plus the app-server process id (for diagnostics). */
export interface CodexAgentSession extends AgentSession {
  /** The pid of the running `codex app-server`; undefined once closed (or between a crash and the restart). */
  readonly pid: number | undefined;
}

/** Everything a session needs, resolved by the provider. */
export interface CodexSessionInit {
  providerId: string;
  binary: string;
  codexHome: string;
  /** The complete app-server env. */
  childEnv: Record<string, string>;
  options: SessionOptions;
  model?: string;
  logger: Logger;
  clientName: string;
  compactThresholdTokens: number;
  compactTimeoutMs: number;
  interruptTimeoutMs: number;
  startTimeoutMs: number;
  requestTimeoutMs: number;
  /** How `SessionOptions.instructions` reach Codex: `base` replaces its base instructions, `developer` adds. */
  instructionsAs: 'base' | 'developer';
}

interface TurnState {
  /** Codex's turn id, once known (from the turn/start answer). */
  codexTurnId?: string;
  /** The id in our events (Codex's turn id, or a local one when turn/start failed). */
  turnId?: string;
  /** Emits on the run's stream (buffered in `pending` until `turn-start` is out). */
  emit: (event: AgentEvent) => void;
  /** Events that arrived before `turn-start` could be emitted. */
  pending: AgentEvent[];
  emitStarted: boolean;
  text: string;
  sawText: boolean;
  /** The message of the last `error` notification with `willRetry: false`. */
  errorMessage?: string;
  errorRetryable: boolean;
  usage: { input: number; cached: number; output: number; seen: boolean };
  calls: Set<string>;
  /** The app-server that accepted the turn (set once turn/start answered). */
  app?: AppServer;
  interruptRequested: boolean;
  interruptSent: boolean;
  /** Resolves on Codex's `turn/started` for this turn. */
  codexStarted: Promise<void>;
  markCodexStarted: () => void;
  status?: TurnStatus;
  /** Set when the turn ended without Codex saying so (process exit, interrupt timeout). */
  localError?: { message: string; code: string };
  finish: (status: TurnStatus) => void;
  done: Promise<TurnStatus>;
}

interface CompactionState {
  app?: AppServer;
  codexTurnId?: string;
  errorMessage?: string;
  finish: (result: { ok: boolean; error?: string }) => void;
  done: Promise<{ ok: boolean; error?: string }>;
}

interface ActiveRun {
  channel: EventChannel<AgentEvent>;
  queue: TurnInput[];
  cancelled: boolean;
}

type UsageTotals = Pick<TokenUsageBreakdown, 'inputTokens' | 'cachedInputTokens' | 'outputTokens'>;

/** Codex's warning for a model without bundled metadata (every turn on a custom endpoint): noise. */
const MODEL_METADATA_WARNING = /Model metadata for .* not found/i;
/** Codex error kinds worth retrying later. */
const RETRYABLE_ERRORS = new Set([
  'serverOverloaded',
  'rateLimitExceeded',
  'internalServerError',
  'httpConnectionFailed',
  'responseStreamConnectionFailed',
  'responseStreamDisconnected',
  'responseTooManyFailedAttempts',
]);

/**
 * Starts app-server, then starts or resumes the thread. A continuation whose thread is gone throws a
 * `CodexProviderError` with code `session-invalid` (and Codex's message).
 */
export async function createCodexSession(init: CodexSessionInit): Promise<CodexAgentSession> {
  const session = new CodexSession(init);
  await session.open();
  return session;
}

class CodexSession implements CodexAgentSession {
  readonly specificationVersion = AGENT_PROVIDER_SPEC_VERSION;
  readonly provider: string;
  private app: AppServer | undefined;
  private threadId: string | undefined;
  private run: ActiveRun | undefined;
  private runDone: Promise<void> = Promise.resolve();
  private turn: TurnState | undefined;
  private compaction: CompactionState | undefined;
  private compactRequested = false;
  private closed = false;
  /** The latest `tokenUsage.total` of the thread (cumulative, restored on resume). */
  private total: UsageTotals | undefined;
  private lastCompactionInputTokens = 0;
  private readonly log: Logger;

  constructor(private readonly init: CodexSessionInit) {
    this.provider = init.providerId;
    this.log = init.logger;
  }

  get continuation(): string | undefined {
    return this.threadId;
  }

  get busy(): boolean {
    return this.run !== undefined;
  }

  get pid(): number | undefined {
    return this.app?.alive ? this.app.pid : undefined;
  }

  /** Spawns app-server and starts (or resumes) the thread. */
  async open(): Promise<void> {
    const { options } = this.init;
    const resume = options.continuation;
    const app = await this.spawn();
    try {
      if (resume === undefined) {
        const started = await app.request('thread/start', this.threadParams());
        this.threadId = started.thread.id;
      } else {
        await this.resumeThread(app, resume);
      }
    } catch (error) {
      await app.close(500);
      this.app = undefined;
      throw error;
    }
    if (resume !== undefined && this.threadId) {
      const state = await readThreadState(this.init.codexHome, this.threadId).catch(() => undefined);
      this.lastCompactionInputTokens = state?.lastCompactionInputTokens ?? 0;
    }
    this.log.debug({ threadId: this.threadId, resumed: resume !== undefined }, 'codex session open');
  }

  prompt(input: TurnInput, promptOptions?: { signal?: AbortSignal }): AsyncIterable<AgentEvent> {
    if (this.closed) throw new CodexProviderError('closed', 'codex session is closed');
    if (this.run) throw new Error('a run is already active; push() follow-up input instead');
    const current: ActiveRun = {
      channel: createEventChannel<AgentEvent>(() => this.cancelRun(current)),
      queue: [input],
      cancelled: false,
    };
    this.run = current;
    const signal = promptOptions?.signal;
    if (signal) {
      if (signal.aborted) this.cancelRun(current);
      else signal.addEventListener('abort', () => this.cancelRun(current), { once: true });
    }
    this.runDone = this.drive(current);
    return current.channel;
  }

  push(input: TurnInput): boolean {
    const current = this.run;
    if (!current || current.cancelled || this.closed) return false;
    current.queue.push(input);
    return true;
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    if (!turn || turn.status !== undefined) return;
    turn.interruptRequested = true;
    // Sent once Codex started the turn; ended here after `interruptTimeoutMs` whatever happens.
    void this.sendInterrupt(turn);
    await turn.done;
  }

  async compact(): Promise<void> {
    if (this.closed) throw new CodexProviderError('closed', 'codex session is closed');
    this.compactRequested = true;
  }

  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    if (this.run) this.cancelRun(this.run);
    const turn = this.turn;
    if (turn && turn.status === undefined) turn.finish('interrupted');
    this.compaction?.finish({ ok: false, error: 'session closed' });
    const app = this.app;
    this.app = undefined;
    await app?.close();
    await this.runDone;
  }

  // --- runs and turns ---------------------------------------------------------------------------------------

  private cancelRun(current: ActiveRun): void {
    if (current.cancelled) return;
    current.cancelled = true;
    current.queue.length = 0;
    const turn = this.turn;
    if (turn && turn.status === undefined && !this.closed) {
      turn.interruptRequested = true;
      void this.sendInterrupt(turn);
    }
  }

  private async drive(current: ActiveRun): Promise<void> {
    const emit = (event: AgentEvent) => current.channel.push(event);
    try {
      if (this.compactRequested && !current.cancelled) {
        this.compactRequested = false;
        await this.runCompaction('requested', emit);
      }
      for (let input = current.queue.shift(); input; input = current.queue.shift()) {
        await this.runTurn(input, emit);
        if (!current.cancelled && !this.closed && this.thresholdReached()) {
          await this.runCompaction('threshold', emit);
        }
      }
      this.run = undefined;
      current.channel.end();
    } catch (error) {
      this.log.error({ err: error }, 'codex run failed');
      this.run = undefined;
      current.channel.end(error);
    }
  }

  private async runTurn(input: TurnInput, emit: (event: AgentEvent) => void): Promise<void> {
    let finish: (status: TurnStatus) => void = () => {};
    const turn: TurnState = {
      emit: () => {},
      pending: [],
      emitStarted: false,
      text: '',
      sawText: false,
      errorRetryable: false,
      usage: { input: 0, cached: 0, output: 0, seen: false },
      calls: new Set(),
      interruptRequested: false,
      interruptSent: false,
      codexStarted: Promise.resolve(),
      markCodexStarted: () => {},
      finish: (status) => finish(status),
      done: Promise.resolve('failed'),
    };
    turn.codexStarted = new Promise<void>((resolve) => {
      turn.markCodexStarted = resolve;
    });
    turn.done = new Promise<TurnStatus>((resolve) => {
      finish = (status) => {
        if (turn.status !== undefined) return;
        turn.status = status;
        resolve(status);
      };
    });
    const emitTurn = (event: AgentEvent) => {
      if (turn.emitStarted) emit(event);
      else turn.pending.push(event);
    };
    const start = (turnId: string) => {
      turn.turnId = turnId;
      turn.emitStarted = true;
      emit({ type: 'turn-start', turnId, input });
      for (const event of turn.pending) emit({ ...event, turnId } as AgentEvent);
      turn.pending = [];
    };
    turn.emit = emitTurn;
    this.turn = turn;
    try {
      try {
        const started = await this.withApp(async (app) => {
          const answer = await app.request('turn/start', {
            threadId: this.threadId!,
            input: userInput(input, this.init.options.cwd),
          });
          turn.app = app;
          return answer;
        });
        turn.codexTurnId ??= started.turn.id;
      } catch (error) {
        start(turn.codexTurnId ?? `turn-${randomUUID()}`);
        if (this.closed) {
          emit({ type: 'turn-end', turnId: turn.turnId!, status: 'interrupted', text: '' });
          turn.finish('interrupted');
          return;
        }
        const invalid = isCodexSessionInvalid(error);
        emit({
          type: 'error',
          turnId: turn.turnId!,
          message: errorMessage(error),
          code: invalid ? 'session-invalid' : this.app?.alive ? 'rpc-error' : 'runtime-exited',
          retryable: !invalid,
        });
        emit({ type: 'turn-end', turnId: turn.turnId!, status: 'failed', text: '' });
        turn.finish('failed');
        return;
      }
      start(turn.codexTurnId);
      if (turn.interruptRequested && turn.status === undefined) void this.sendInterrupt(turn);
      const status = await turn.done;
      if (turn.interruptRequested && this.app?.alive && this.threadId) {
        // An interrupted command keeps running as a background terminal: end it too.
        await this.app
          .request('thread/backgroundTerminals/clean', { threadId: this.threadId })
          .catch((error: unknown) =>
            this.log.warn({ err: error }, 'codex background terminal cleanup failed'),
          );
      }
      const turnId = turn.turnId!;
      if (turn.usage.seen) {
        emit({
          type: 'usage',
          turnId,
          inputTokens: turn.usage.input,
          cachedInputTokens: turn.usage.cached,
          outputTokens: turn.usage.output,
          ...(this.total ? { totalInputTokens: this.total.inputTokens } : {}),
        });
      }
      if (status === 'failed') {
        emit({
          type: 'error',
          turnId,
          message: turn.localError?.message ?? turn.errorMessage ?? 'the Codex turn failed',
          code: turn.localError?.code ?? 'model-error',
          retryable: turn.localError ? true : turn.errorRetryable,
        });
      }
      emit({ type: 'turn-end', turnId, status, text: turn.text });
    } finally {
      this.turn = undefined;
    }
  }

  /**
   * `turn/interrupt` once Codex has really started the turn (it rejects an interrupt between the turn/start
   * answer and `turn/started`), retried until the turn ends; after `interruptTimeoutMs` the turn is ended here.
   */
  private async sendInterrupt(turn: TurnState): Promise<void> {
    if (turn.interruptSent || turn.status !== undefined) return;
    turn.interruptSent = true;
    const timer = setTimeout(() => {
      if (turn.status !== undefined) return;
      this.log.warn(
        { turnId: turn.codexTurnId },
        'codex did not end an interrupted turn in time; ending it here',
      );
      turn.finish('interrupted');
    }, this.init.interruptTimeoutMs);
    void turn.done.then(() => clearTimeout(timer));
    await Promise.race([turn.codexStarted, turn.done]);
    for (let attempt = 0; turn.status === undefined; attempt++) {
      const app = this.app;
      if (!app?.alive || !turn.codexTurnId || !this.threadId) return;
      try {
        await app.request('turn/interrupt', { threadId: this.threadId, turnId: turn.codexTurnId });
        return;
      } catch (error) {
        if (attempt === 0) this.log.debug({ err: error }, 'codex turn/interrupt failed; retrying');
      }
      await Promise.race([turn.done, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  // --- compaction -------------------------------------------------------------------------------------------

  private thresholdReached(): boolean {
    const threshold = this.init.compactThresholdTokens;
    if (threshold <= 0 || !this.total) return false;
    return this.total.inputTokens - this.lastCompactionInputTokens >= threshold;
  }

  /**
   * `thread/compact/start`, then waits for the compaction turn. A failure is logged and reported as
   * `compaction-end {ok:false}`; the run goes on uncompacted.
   */
  private async runCompaction(
    reason: 'threshold' | 'requested',
    emit: (event: AgentEvent) => void,
  ): Promise<void> {
    let finish: (result: { ok: boolean; error?: string }) => void = () => {};
    let settled = false;
    const state: CompactionState = {
      finish: (result) => finish(result),
      done: new Promise((resolve) => {
        finish = (result) => {
          if (settled) return;
          settled = true;
          resolve(result);
        };
      }),
    };
    this.compaction = state;
    const startedAt = Date.now();
    const before = this.total?.inputTokens;
    const timer = setTimeout(() => {
      state.finish({ ok: false, error: `compaction did not finish in ${this.init.compactTimeoutMs} ms` });
      if (state.codexTurnId && this.app?.alive && this.threadId) {
        void this.app
          .request('turn/interrupt', { threadId: this.threadId, turnId: state.codexTurnId })
          .catch(() => {});
      }
    }, this.init.compactTimeoutMs);
    try {
      await this.withApp(async (app) => {
        await app.request('thread/compact/start', { threadId: this.threadId! });
        state.app = app;
      });
    } catch (error) {
      state.finish({ ok: false, error: errorMessage(error) });
    }
    const result = await state.done;
    clearTimeout(timer);
    this.compaction = undefined;
    if (result.ok) {
      this.lastCompactionInputTokens = this.total?.inputTokens ?? 0;
      if (this.threadId) {
        await writeThreadState(this.init.codexHome, this.threadId, {
          lastCompactionInputTokens: this.lastCompactionInputTokens,
        }).catch((error: unknown) => this.log.warn({ err: error }, 'could not persist the compaction state'));
      }
      this.log.info(
        { reason, before, after: this.total?.inputTokens, ms: Date.now() - startedAt },
        'codex compacted the thread',
      );
    } else {
      this.log.warn({ reason, error: result.error }, 'codex compaction failed; continuing uncompacted');
    }
    emit({
      type: 'compaction-end',
      ok: result.ok,
      reason,
      ...(result.ok || result.error === undefined ? {} : { error: result.error }),
    });
  }

  // --- app-server -------------------------------------------------------------------------------------------

  private async spawn(): Promise<AppServer> {
    const app = await startAppServer({
      binary: this.init.binary,
      env: this.init.childEnv,
      cwd: this.init.options.cwd,
      logger: this.log,
      clientName: this.init.clientName,
      startTimeoutMs: this.init.startTimeoutMs,
      requestTimeoutMs: this.init.requestTimeoutMs,
      onNotification: (notification) => {
        if (this.app === app) this.onNotification(notification);
      },
    });
    this.app = app;
    void app.exited.then((exit) => this.onExit(app, exit));
    return app;
  }

  /** Runs `call` on the live app-server; once more on a restarted one when the process died under it. */
  private async withApp<T>(call: (app: AppServer) => Promise<T>): Promise<T> {
    const app = await this.ensureApp();
    try {
      return await call(app);
    } catch (error) {
      if (!(error instanceof CodexProviderError && error.code === 'app-server-exited') || this.closed)
        throw error;
      await app.exited;
      return call(await this.ensureApp());
    }
  }

  /** The live app-server; after a crash, a new one with the thread resumed. */
  private async ensureApp(): Promise<AppServer> {
    if (this.closed) throw new CodexProviderError('closed', 'codex session is closed');
    if (this.app?.alive) return this.app;
    this.log.warn(
      { threadId: this.threadId },
      'codex app-server is gone; restarting it and resuming the thread',
    );
    const app = await this.spawn();
    try {
      await this.resumeThread(app, this.threadId!);
    } catch (error) {
      if (!isCodexSessionInvalid(error)) {
        await app.close(500);
        throw error;
      }
      // Died before the thread reached disk (its first turn): go on with a fresh thread, not a dead session.
      try {
        const started = await app.request('thread/start', this.threadParams());
        this.log.warn(
          { lost: this.threadId, threadId: started.thread.id, err: error },
          'the crashed thread could not be resumed; continuing on a fresh thread',
        );
        this.threadId = started.thread.id;
        this.total = undefined;
        this.lastCompactionInputTokens = 0;
      } catch (startError) {
        await app.close(500);
        throw startError;
      }
    }
    return app;
  }

  private async resumeThread(app: AppServer, threadId: string): Promise<void> {
    try {
      const resumed = await app.request('thread/resume', {
        ...this.threadParams(),
        threadId,
        excludeTurns: true,
      });
      this.threadId = resumed.thread.id;
    } catch (error) {
      if (isCodexSessionInvalid(error)) {
        throw new CodexProviderError('session-invalid', errorMessage(error), { cause: error });
      }
      throw error;
    }
  }

  private threadParams(): ClientParams<'thread/start'> {
    const { options } = this.init;
    const params: ClientParams<'thread/start'> = {
      cwd: options.cwd,
      approvalPolicy: 'never',
      sandbox: 'danger-full-access',
    };
    if (this.init.model) params.model = this.init.model;
    if (options.instructions) {
      if (this.init.instructionsAs === 'developer') params.developerInstructions = options.instructions;
      else params.baseInstructions = options.instructions;
    }
    return params;
  }

  private onExit(app: AppServer, exit: AppServerExit): void {
    if (this.closed) return;
    const message = `codex app-server exited unexpectedly (${exit.signal ?? `code ${exit.code}`})`;
    this.log.error({ code: exit.code, signal: exit.signal, stderr: exit.stderr.slice(-2_000) }, message);
    // Only what ran on this process ends; a turn already retried on a new process goes on.
    const turn = this.turn;
    if (turn && turn.status === undefined && turn.app === app) {
      turn.localError = { message, code: 'runtime-exited' };
      turn.finish(turn.interruptRequested ? 'interrupted' : 'failed');
    }
    if (this.compaction?.app === app) this.compaction.finish({ ok: false, error: message });
  }

  // --- notifications ----------------------------------------------------------------------------------------

  private onNotification(notification: ServerNotification): void {
    const params = notification.params as { threadId?: unknown } | undefined;
    if (params && typeof params.threadId === 'string' && this.threadId && params.threadId !== this.threadId)
      return;
    switch (notification.method) {
      case 'thread/tokenUsage/updated': {
        const total = notification.params.tokenUsage.total;
        const previous = this.total;
        this.total = total;
        const turn = this.turnFor(notification.params.turnId);
        if (turn && previous) {
          turn.usage.seen = true;
          turn.usage.input += Math.max(0, total.inputTokens - previous.inputTokens);
          turn.usage.cached += Math.max(0, total.cachedInputTokens - previous.cachedInputTokens);
          turn.usage.output += Math.max(0, total.outputTokens - previous.outputTokens);
        } else if (turn) {
          // The first usage this process sees is this turn's own request: `last` is exactly it.
          const last = notification.params.tokenUsage.last;
          turn.usage.seen = true;
          turn.usage.input += last.inputTokens;
          turn.usage.cached += last.cachedInputTokens;
          turn.usage.output += last.outputTokens;
        }
        return;
      }
      case 'turn/started': {
        // A turn's id comes from the turn/start answer (which app-server sends first); a compaction turn's
        // only from here.
        const id = notification.params.turn.id;
        const compaction = this.compaction;
        const turn = this.turn;
        if (compaction && !compaction.codexTurnId && turn?.codexTurnId !== id) {
          compaction.codexTurnId = id;
        } else if (turn && turn.status === undefined && (turn.codexTurnId ?? id) === id) {
          turn.codexTurnId = id;
          turn.markCodexStarted();
        }
        return;
      }
      case 'item/agentMessage/delta': {
        const turn = this.turnFor(notification.params.turnId);
        if (turn)
          turn.emit({
            type: 'text-delta',
            turnId: turn.turnId ?? '',
            delta: notification.params.delta,
          });
        return;
      }
      case 'item/started': {
        const turn = this.turnFor(notification.params.turnId);
        const call = turn ? toolCallOf(notification.params.item) : undefined;
        if (turn && call && !turn.calls.has(call.callId)) {
          turn.calls.add(call.callId);
          turn.emit({ type: 'tool-call', turnId: turn.turnId ?? '', ...call });
        }
        return;
      }
      case 'item/completed': {
        const turn = this.turnFor(notification.params.turnId);
        if (!turn) return;
        const { item } = notification.params;
        if (item.type === 'agentMessage') {
          turn.text = item.text;
          turn.sawText = true;
          return;
        }
        const call = toolCallOf(item);
        const result = toolResultOf(item);
        if (!call || !result) return;
        if (!turn.calls.has(call.callId)) {
          turn.calls.add(call.callId);
          turn.emit({ type: 'tool-call', turnId: turn.turnId ?? '', ...call });
        }
        turn.emit({ type: 'tool-result', turnId: turn.turnId ?? '', ...result });
        return;
      }
      case 'error': {
        const { error, willRetry, turnId } = notification.params;
        if (willRetry) {
          this.log.warn(
            { message: error.message, codexErrorInfo: error.codexErrorInfo },
            'codex is retrying',
          );
          return;
        }
        const compaction = this.compaction;
        if (compaction && compaction.codexTurnId === turnId) {
          compaction.errorMessage = error.message;
          return;
        }
        const turn = this.turnFor(turnId);
        if (turn) {
          turn.errorMessage = error.message;
          turn.errorRetryable = isRetryable(error.codexErrorInfo);
        }
        return;
      }
      case 'turn/completed': {
        const completed = notification.params.turn;
        const compaction = this.compaction;
        if (compaction && compaction.codexTurnId === completed.id) {
          const ok = completed.status === 'completed';
          compaction.finish(
            ok
              ? { ok }
              : {
                  ok,
                  error:
                    completed.error?.message ??
                    compaction.errorMessage ??
                    `the compaction turn ended ${completed.status}`,
                },
          );
          return;
        }
        const turn = this.turnFor(completed.id);
        if (!turn) return;
        this.log.debug(
          { turnId: completed.id, status: completed.status, durationMs: completed.durationMs },
          'codex turn completed',
        );
        if (!turn.sawText) {
          const final = completed.items.findLast((item) => item.type === 'agentMessage');
          if (final?.type === 'agentMessage') turn.text = final.text;
        }
        if (completed.status === 'failed' && completed.error?.message) {
          turn.errorMessage = completed.error.message;
          turn.errorRetryable = isRetryable(completed.error.codexErrorInfo);
        }
        turn.finish(
          completed.status === 'completed'
            ? 'completed'
            : completed.status === 'interrupted'
              ? 'interrupted'
              : 'failed',
        );
        return;
      }
      case 'warning': {
        const { message } = notification.params;
        if (MODEL_METADATA_WARNING.test(message)) this.log.debug({ message }, 'codex warning');
        else this.log.warn({ message }, 'codex warning');
        return;
      }
      default:
        return;
    }
  }

  /** The active turn when `turnId` is its id. */
  private turnFor(turnId: string | null | undefined): TurnState | undefined {
    const turn = this.turn;
    if (!turn || turn.status !== undefined || !turnId) return undefined;
    return turn.codexTurnId === turnId ? turn : undefined;
  }
}

/** Codex input items for a turn: the text, plus local images; other attachments are named in the text. */
function userInput(input: TurnInput, cwd: string): ClientParams<'turn/start'>['input'] {
  const items: ClientParams<'turn/start'>['input'] = [];
  const notes: string[] = [];
  for (const attachment of input.attachments ?? []) {
    const local = !/^[a-z][a-z0-9+.-]*:/i.test(attachment.ref);
    if (local && attachment.mimeType.startsWith('image/')) {
      items.push({ type: 'localImage', path: path.resolve(cwd, attachment.ref) });
    } else {
      notes.push(
        `[attachment: ${attachment.name} (${attachment.mimeType}, ${attachment.sizeBytes} bytes) at ${attachment.ref}]`,
      );
    }
  }
  const text = notes.length > 0 ? `${input.text}\n\n${notes.join('\n')}` : input.text;
  return [{ type: 'text', text, text_elements: [] }, ...items];
}

function isRetryable(info: unknown): boolean {
  if (typeof info === 'string') return RETRYABLE_ERRORS.has(info);
  if (typeof info === 'object' && info !== null)
    return Object.keys(info).some((key) => RETRYABLE_ERRORS.has(key));
  return false;
}
