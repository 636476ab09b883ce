import { randomUUID } from 'node:crypto';
import { type AgentSession, errorMessage, type TurnInput } from '@nanoclaw/core';
import {
  type CompactionReason,
  Deferred,
  type EmitEvent,
  LoopSession,
  openSession,
  type ProviderSessionInit,
} from '@nanoclaw/provider-utils';
import { type AppServer, type AppServerExit, startAppServer } from './app-server.js';
import { CodexProviderError, isCodexSessionInvalid } from './errors.js';
import { toolCallOf, toolResultOf } from './items.js';
import type { ClientParams, NotificationOf, ServerNotification, TokenUsageBreakdown } from './protocol.js';
import { readThreadState, writeThreadState } from './state.js';
import { CodexTurn } from './turn.js';
import { userInput } from './user-input.js';

type ParamsOf<M extends ServerNotification['method']> = NotificationOf<M>['params'];
type NotificationHandlers = { [M in ServerNotification['method']]?: (params: ParamsOf<M>) => void };

/** A Codex session: the spec's `AgentSession`, plus the app-server process id (for diagnostics). */
export interface CodexAgentSession extends AgentSession {
  /** The pid of the running `codex app-server`; undefined once closed (or between a crash and the restart). */
  readonly pid: number | undefined;
}

/** Everything a session needs, resolved by the provider. */
export interface CodexSessionInit extends ProviderSessionInit {
  binary: string;
  codexHome: string;
  /** The complete app-server env. */
  childEnv: Record<string, string>;
  model?: string;
  clientName: string;
  compactThresholdTokens: number;
  requestTimeoutMs: number;
  /** How `SessionOptions.instructions` reach Codex: `base` replaces its base instructions, `developer` adds. */
  instructionsAs: 'base' | 'developer';
}

type CompactionResult = { ok: boolean; error?: string };

/** One compaction turn: its outcome settles once (Codex's end, a timeout, an exit or close). */
class CompactionState extends Deferred<CompactionResult> {
  app?: AppServer;
  codexTurnId?: string;
  errorMessage?: string;
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
export function createCodexSession(init: CodexSessionInit): Promise<CodexAgentSession> {
  return openSession(new CodexSession(init));
}

class CodexSession extends LoopSession<CodexTurn> implements CodexAgentSession {
  private app: AppServer | undefined;
  private threadId: string | undefined;
  private compaction: CompactionState | undefined;
  /** The latest `tokenUsage.total` of the thread (cumulative, restored on resume). */
  private total: UsageTotals | undefined;
  private lastCompactionInputTokens = 0;

  constructor(private readonly init: CodexSessionInit) {
    super(init, 'codex', (message) => new CodexProviderError('closed', message));
  }

  /** The thread id: what a later session resumes. */
  get continuation(): string | undefined {
    return this.threadId;
  }

  get pid(): number | undefined {
    const app = this.app;
    return app?.alive ? app.pid : undefined;
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

  // --- turns ------------------------------------------------------------------------------------------------

  protected createTurn(_input: TurnInput, emit: EmitEvent): CodexTurn {
    return new CodexTurn(emit);
  }

  protected async runTurn(turn: CodexTurn, input: TurnInput, emit: EmitEvent): Promise<void> {
    if (!(await this.startTurn(turn, input, emit))) return;
    turn.start(turn.codexTurnId ?? `turn-${randomUUID()}`, input);
    if (turn.interruptRequested && turn.status === undefined) this.requestInterrupt(turn);
    const status = await turn.done;
    if (turn.interruptRequested) await this.cleanBackgroundTerminals();
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
  }

  /** `turn/start`; when Codex refuses it, the turn is reported (started, failed, ended) and false returned. */
  private async startTurn(turn: CodexTurn, input: TurnInput, emit: EmitEvent): Promise<boolean> {
    try {
      const items = await userInput(input, this.init.options.cwd);
      const started = await this.withApp(async (app) => {
        const answer = await app.request('turn/start', { threadId: this.threadId!, input: items });
        turn.app = app;
        return answer;
      });
      turn.codexTurnId ??= started.turn.id;
      return true;
    } catch (error) {
      turn.start(turn.codexTurnId ?? `turn-${randomUUID()}`, input);
      const turnId = turn.turnId!;
      if (this.closed) {
        emit({ type: 'turn-end', turnId, status: 'interrupted', text: '' });
        turn.finish('interrupted');
        return false;
      }
      const invalid = isCodexSessionInvalid(error);
      emit({
        type: 'error',
        turnId,
        message: errorMessage(error),
        code: invalid ? 'session-invalid' : this.app?.alive ? 'request-failed' : 'runtime-exited',
        retryable: !invalid,
      });
      emit({ type: 'turn-end', turnId, status: 'failed', text: '' });
      turn.finish('failed');
      return false;
    }
  }

  /** An interrupted command keeps running as a background terminal: end it too. */
  private async cleanBackgroundTerminals(): Promise<void> {
    if (!this.app?.alive || !this.threadId) return;
    await this.app
      .request('thread/backgroundTerminals/clean', { threadId: this.threadId })
      .catch((error: unknown) => this.log.warn({ err: error }, 'codex background terminal cleanup failed'));
  }

  /**
   * `turn/interrupt` once Codex has really started the turn (it rejects an interrupt between the turn/start
   * answer and `turn/started`), retried until the turn ends; after `interruptTimeoutMs` the turn is ended here.
   */
  protected async interruptTurn(turn: CodexTurn): Promise<void> {
    const armed = turn.startInterrupt(this.init.interruptTimeoutMs, () => {
      this.log.warn(
        { turnId: turn.codexTurnId },
        'codex did not end an interrupted turn in time; ending it here',
      );
      turn.finish('interrupted');
    });
    if (!armed) return;
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

  protected override compactAfterTurn(): boolean {
    const threshold = this.init.compactThresholdTokens;
    if (threshold <= 0 || !this.total) return false;
    return this.total.inputTokens - this.lastCompactionInputTokens >= threshold;
  }

  /**
   * `thread/compact/start`, then waits for the compaction turn. A failure is logged and reported as
   * `compaction-end {ok:false}`; the run goes on uncompacted.
   */
  protected async runCompaction(reason: CompactionReason, emit: EmitEvent): Promise<void> {
    const state = new CompactionState();
    this.compaction = state;
    const startedAt = Date.now();
    const before = this.total?.inputTokens;
    const timer = setTimeout(() => {
      state.resolve({ ok: false, error: `compaction did not finish in ${this.init.compactTimeoutMs} ms` });
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
      state.resolve({ ok: false, error: errorMessage(error) });
    }
    const result = await state.promise;
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

  /** On close: a compaction in progress fails, then the process stops. */
  protected async stopRuntime(): Promise<void> {
    this.compaction?.resolve({ ok: false, error: 'session closed' });
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

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
    if (this.compaction?.app === app) this.compaction.resolve({ ok: false, error: message });
  }

  // --- notifications ----------------------------------------------------------------------------------------

  /** What each server notification the session reads does; the rest are ignored. */
  private readonly notificationHandlers: NotificationHandlers = {
    'thread/tokenUsage/updated': (params) => this.onTokenUsage(params),
    'turn/started': (params) => this.onTurnStarted(params),
    'item/agentMessage/delta': (params) => this.onAgentMessageDelta(params),
    'item/started': (params) => this.onItemStarted(params),
    'item/completed': (params) => this.onItemCompleted(params),
    error: (params) => this.onCodexError(params),
    'turn/completed': (params) => this.onTurnCompleted(params.turn),
    warning: ({ message }) => {
      if (MODEL_METADATA_WARNING.test(message)) this.log.debug({ message }, 'codex warning');
      else this.log.warn({ message }, 'codex warning');
    },
  };

  private onNotification(notification: ServerNotification): void {
    const params = notification.params as { threadId?: unknown } | undefined;
    if (params && typeof params.threadId === 'string' && this.threadId && params.threadId !== this.threadId)
      return;
    const handle = this.notificationHandlers[notification.method] as ((params: unknown) => void) | undefined;
    handle?.(notification.params);
  }

  private onAgentMessageDelta(params: ParamsOf<'item/agentMessage/delta'>): void {
    const turn = this.turnFor(params.turnId);
    if (turn) turn.emit({ type: 'text-delta', turnId: turn.turnId ?? '', delta: params.delta });
  }

  private onTokenUsage(params: ParamsOf<'thread/tokenUsage/updated'>): void {
    const total = params.tokenUsage.total;
    const previous = this.total;
    this.total = total;
    const turn = this.turnFor(params.turnId);
    if (turn && previous) {
      turn.usage.seen = true;
      turn.usage.input += Math.max(0, total.inputTokens - previous.inputTokens);
      turn.usage.cached += Math.max(0, total.cachedInputTokens - previous.cachedInputTokens);
      turn.usage.output += Math.max(0, total.outputTokens - previous.outputTokens);
    } else if (turn) {
      // The first usage this process sees is this turn's own request: `last` is exactly it.
      const last = params.tokenUsage.last;
      turn.usage.seen = true;
      turn.usage.input += last.inputTokens;
      turn.usage.cached += last.cachedInputTokens;
      turn.usage.output += last.outputTokens;
    }
  }

  private onTurnStarted(params: ParamsOf<'turn/started'>): void {
    // A turn's id comes from the turn/start answer (which app-server sends first); a compaction turn's
    // only from here.
    const id = params.turn.id;
    const compaction = this.compaction;
    const turn = this.turn;
    if (compaction && !compaction.codexTurnId && turn?.codexTurnId !== id) {
      compaction.codexTurnId = id;
    } else if (turn && turn.status === undefined && (turn.codexTurnId ?? id) === id) {
      turn.codexTurnId = id;
      turn.markCodexStarted();
    }
  }

  private onItemStarted(params: ParamsOf<'item/started'>): void {
    const turn = this.turnFor(params.turnId);
    const call = turn ? toolCallOf(params.item) : undefined;
    if (turn && call && !turn.calls.has(call.callId)) {
      turn.calls.add(call.callId);
      turn.emit({ type: 'tool-call', turnId: turn.turnId ?? '', ...call });
    }
  }

  private onItemCompleted(params: ParamsOf<'item/completed'>): void {
    const turn = this.turnFor(params.turnId);
    if (!turn) return;
    const { item } = params;
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
  }

  private onCodexError({ error, willRetry, turnId }: ParamsOf<'error'>): void {
    if (willRetry) {
      this.log.warn({ message: error.message, codexErrorInfo: error.codexErrorInfo }, 'codex is retrying');
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
  }

  private onTurnCompleted(completed: ParamsOf<'turn/completed'>['turn']): void {
    const compaction = this.compaction;
    if (compaction && compaction.codexTurnId === completed.id) {
      const ok = completed.status === 'completed';
      compaction.resolve(
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
  }

  /** The active turn when `turnId` is its id. */
  private turnFor(turnId: string | null | undefined): CodexTurn | undefined {
    const turn = this.turn;
    if (!turn || turn.status !== undefined || !turnId) return undefined;
    return turn.codexTurnId === turnId ? turn : undefined;
  }
}

function isRetryable(info: unknown): boolean {
  if (typeof info === 'string') return RETRYABLE_ERRORS.has(info);
  if (typeof info === 'object' && info !== null)
    return Object.keys(info).some((key) => RETRYABLE_ERRORS.has(key));
  return false;
}
