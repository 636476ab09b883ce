import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  type HookCallbackMatcher,
  type HookEvent,
  type Options,
  type Query,
  query,
  type SDKMessage,
  type SDKResultMessage,
  type SDKUserMessage,
} from '@anthropic-ai/claude-agent-sdk';
import {
  type AgentEvent,
  type AgentSession,
  errorMessage,
  type ProviderErrorCode,
  type TurnInput,
  type TurnStatus,
} from '@nanoclaw/core';
import {
  type CompactionReason,
  Deferred,
  type EmitEvent,
  LoopSession,
  LoopTurn,
  openSession,
  type ProviderSessionInit,
  withTimeout,
} from '@nanoclaw/provider-utils';
import { archiveTranscript } from './archive.js';
import { endProcessGroup, spawnInOwnGroup } from './claude-process.js';
import { ClaudeProviderError, isClaudeSessionInvalid } from './errors.js';
import { promptContent } from './prompt-content.js';
import { createPromptStream, type PromptStream, userMessage } from './prompt-stream.js';
import { buildQueryOptions, type QueryPlan } from './query-options.js';
import { toolCallOf, toolFailureOf, toolResultOf } from './tool-events.js';
import { usageEventOf } from './usage.js';

/** A Claude session: the spec's `AgentSession`, plus the Claude Code process id (for diagnostics). */
export interface ClaudeAgentSession extends AgentSession {
  /** The pid of the running Claude Code process; undefined before the first spawn finished or once closed. */
  readonly pid: number | undefined;
}

/** Everything a session needs, resolved by the provider. */
export interface ClaudeSessionInit extends ProviderSessionInit {
  plan: QueryPlan;
  /** Archive the transcript to `<cwd>/conversations/` before each compaction. */
  archiveOnCompact: boolean;
}

/** One Claude Code process: a `query()` with its long-lived prompt stream. */
interface Runtime {
  query: Query;
  input: PromptStream;
  /** Resolves when the message loop ended (the process exited or was closed). */
  done: Promise<void>;
  alive: boolean;
  /** Claude Code, leading its own process group; undefined until the SDK spawned it. */
  readonly child: ChildProcessWithoutNullStreams | undefined;
  readonly pid: number | undefined;
  stderr: string[];
}

class ClaudeTurn extends LoopTurn {
  readonly turnId = randomUUID();
  /** The prompt as sent to Claude Code (sent again once when the process died before answering it). */
  message?: SDKUserMessage;
  /** Claude Code said something for this turn (so it cannot simply be sent again). */
  sawOutput = false;
  resent = false;
  /** Claude Code's error kind from a synthetic assistant message (`server_error`, `rate_limit`, ...). */
  assistantError?: string;
  result?: SDKResultMessage;
  localError?: { message: string; code: ProviderErrorCode };

  constructor(readonly emit: EmitEvent) {
    super();
  }
}

/** One `/compact`: its outcome settles once (the result, a timeout, an exit or close). */
class CompactionState extends Deferred<{ ok: boolean; error?: string }> {
  boundary = false;
  error?: string;
}

/** Assistant error kinds worth retrying later. */
const RETRYABLE_ERRORS = new Set(['server_error', 'overloaded', 'rate_limit', 'unknown']);

/**
 * Spawns Claude Code and waits for its answer to `initialize`. A continuation whose session is gone rejects
 * with a `ClaudeProviderError` of code `session-invalid` (and Claude Code's message).
 */
export function createClaudeSession(init: ClaudeSessionInit): Promise<ClaudeAgentSession> {
  return openSession(new ClaudeSession(init));
}

/**
 * Whether a message shows Claude Code took this turn's prompt. A command lifecycle frame does only when it is this
 * prompt's command past `queued`: a late frame of the previous command can still arrive from a process that is
 * already dead, and must not keep the turn from being sent again to a new one.
 */
function speaksFor(turn: ClaudeTurn, message: SDKMessage): boolean {
  if ((message.type as string) !== 'command_lifecycle') return true;
  const frame = message as unknown as { command_uuid?: string; state?: string };
  return frame.command_uuid === turn.message?.uuid && frame.state !== 'queued';
}

class ClaudeSession extends LoopSession<ClaudeTurn> implements ClaudeAgentSession {
  private runtime: Runtime | undefined;
  private sessionId: string | undefined;
  /** False until Claude Code reported the session (system/init), i.e. it can be resumed. */
  private persisted = false;
  private compaction: CompactionState | undefined;

  constructor(private readonly init: ClaudeSessionInit) {
    super(init, 'claude', (message) => new ClaudeProviderError('closed', message));
  }

  get continuation(): string | undefined {
    return this.sessionId;
  }

  get pid(): number | undefined {
    return this.runtime?.alive ? this.runtime.pid : undefined;
  }

  async open(): Promise<void> {
    const resume = this.init.options.continuation;
    if (resume === undefined) {
      this.sessionId = randomUUID();
      this.runtime = await this.spawn({ sessionId: this.sessionId });
    } else {
      this.runtime = await this.spawn({ resume });
      this.sessionId = resume;
      this.persisted = true;
    }
    this.log.debug({ sessionId: this.sessionId, resumed: resume !== undefined }, 'claude session open');
  }

  // --- turns ------------------------------------------------------------------------------------------------

  protected createTurn(_input: TurnInput, emit: EmitEvent): ClaudeTurn {
    return new ClaudeTurn(emit);
  }

  protected async runTurn(turn: ClaudeTurn, input: TurnInput, emit: EmitEvent): Promise<void> {
    emit({ type: 'turn-start', turnId: turn.turnId, input });
    try {
      const message = userMessage(await promptContent(input, this.init.options.cwd), randomUUID());
      const runtime = await this.ensureRuntime();
      // Set only as it goes to a process: one that dies while the prompt is still being read (its images) has not
      // taken this turn, and `read` leaves it to this call, which starts a new process.
      turn.message = message;
      runtime.input.push(message);
    } catch (error) {
      if (this.closed) turn.finish('interrupted');
      else {
        turn.localError = { message: errorMessage(error), code: 'runtime-exited' };
        turn.finish('failed');
      }
    }
    if (turn.interruptRequested) this.requestInterrupt(turn);
    const status = await turn.done;
    this.emitTurnEnd(turn, status);
  }

  /** usage, error (for a failed turn) and turn-end, from the turn's result. */
  private emitTurnEnd(turn: ClaudeTurn, status: TurnStatus): void {
    const { result, turnId } = turn;
    const usage = result ? usageEventOf(turnId, result) : undefined;
    if (usage) turn.emit(usage);
    if (status === 'failed') {
      turn.emit({
        type: 'error',
        turnId,
        message: turn.localError?.message ?? resultErrorText(result),
        code: turn.localError?.code ?? 'model-error',
        retryable: turn.localError ? true : RETRYABLE_ERRORS.has(turn.assistantError ?? ''),
      });
    }
    const text = status === 'completed' && result?.subtype === 'success' ? result.result : '';
    turn.emit({ type: 'turn-end', turnId, status, text });
  }

  /** Asks Claude Code to stop the turn; after `interruptTimeoutMs` without a result, ends it here. */
  protected async interruptTurn(turn: ClaudeTurn): Promise<void> {
    const runtime = this.runtime;
    if (!runtime?.alive) return;
    const armed = turn.startInterrupt(this.init.interruptTimeoutMs, () => {
      this.log.warn('claude did not end an interrupted turn in time; restarting it');
      turn.finish('interrupted');
      // Its late result would be taken for the next turn's: start over on a fresh process (resumed).
      if (this.runtime === runtime) {
        this.runtime = undefined;
        this.stop(runtime).catch((error: unknown) =>
          this.log.warn(
            { err: error },
            'claude code did not stop; the next turn starts a new process anyway',
          ),
        );
      }
    });
    if (!armed) return;
    try {
      await runtime.query.interrupt();
    } catch (error) {
      this.log.debug({ err: error }, 'claude interrupt failed');
    }
  }

  // --- compaction -------------------------------------------------------------------------------------------

  /** `/compact` as a turn of its own; its outcome is a `compaction-end`, never reply text. */
  protected async runCompaction(_reason: CompactionReason, emit: EmitEvent): Promise<void> {
    const state = new CompactionState();
    this.compaction = state;
    const timer = setTimeout(
      () =>
        state.resolve({ ok: false, error: `compaction did not finish in ${this.init.compactTimeoutMs} ms` }),
      this.init.compactTimeoutMs,
    );
    try {
      const runtime = await this.ensureRuntime();
      runtime.input.push(userMessage('/compact', randomUUID()));
    } catch (error) {
      state.resolve({ ok: false, error: errorMessage(error) });
    }
    const result = await state.promise;
    clearTimeout(timer);
    this.compaction = undefined;
    if (result.ok) this.log.info('claude compacted the conversation');
    else this.log.warn({ error: result.error }, 'claude compaction failed; continuing uncompacted');
    emit({
      type: 'compaction-end',
      ok: result.ok,
      reason: 'requested',
      ...(result.error ? { error: result.error } : {}),
    });
  }

  // --- the Claude Code process ------------------------------------------------------------------------------

  /** On close: a compaction in progress fails, then the process stops. */
  protected async stopRuntime(): Promise<void> {
    this.compaction?.resolve({ ok: false, error: 'session closed' });
    const runtime = this.runtime;
    this.runtime = undefined;
    if (runtime) await this.stop(runtime);
  }

  /** The live process; after an exit, a new one resuming the session (fresh with the same id if never saved). */
  private async ensureRuntime(): Promise<Runtime> {
    if (this.closed) throw new ClaudeProviderError('closed', 'claude session is closed');
    if (this.runtime?.alive) return this.runtime;
    const sessionId = this.sessionId!;
    this.log.warn({ sessionId }, 'claude code is not running; starting it and resuming the session');
    try {
      this.runtime = await this.spawn(this.persisted ? { resume: sessionId } : { sessionId });
    } catch (error) {
      if (!this.persisted || !isClaudeSessionInvalid(error)) throw error;
      this.log.warn({ sessionId, err: error }, 'the session could not be resumed; continuing on a fresh one');
      this.persisted = false;
      this.runtime = await this.spawn({ sessionId });
    }
    return this.runtime;
  }

  /** Starts Claude Code and waits for its `initialize` answer (which fails for a bad resume). */
  private async spawn(start: { resume?: string; sessionId?: string }): Promise<Runtime> {
    const input = createPromptStream();
    const stderr: string[] = [];
    const onStderr = (data: string) => {
      stderr.push(data);
      if (stderr.length > 50) stderr.shift();
      this.log.debug({ stderr: data.trimEnd() }, 'claude code stderr');
    };
    const spawned: { child?: ChildProcessWithoutNullStreams } = {};
    const options: Options = buildQueryOptions(this.init.plan, { ...start, hooks: this.hooks() });
    options.spawnClaudeCodeProcess = spawnInOwnGroup(onStderr, (child) => (spawned.child = child));
    const runtime: Runtime = {
      query: query({ prompt: input, options }),
      input,
      done: Promise.resolve(),
      alive: true,
      get child() {
        return spawned.child;
      },
      get pid() {
        return spawned.child?.pid;
      },
      stderr,
    };
    runtime.done = this.read(runtime);
    try {
      await inTime(
        runtime.query.initializationResult(),
        this.init.startTimeoutMs,
        'claude code did not start',
      );
    } catch (error) {
      await this.stop(runtime);
      throw startError(error, runtime.stderr);
    }
    return runtime;
  }

  /** Ends a process: closes its prompt and the query (the SDK kills the child), then waits for the loop. */
  private async stop(runtime: Runtime): Promise<void> {
    runtime.alive = false;
    const child = runtime.child;
    const tree = child ? endProcessGroup(child, { graceMs: 300, killMs: 1_000 }) : Promise.resolve();
    runtime.input.end();
    runtime.query.close();
    await tree;
    await inTime(runtime.done, 5_000, 'claude code did not exit').catch((error: unknown) =>
      this.log.warn({ err: error }, 'claude code did not exit in time'),
    );
  }

  /** The message loop of one process; its end (exit, crash, close) fails whatever was running on it. */
  private async read(runtime: Runtime): Promise<void> {
    let failure: unknown;
    try {
      for await (const message of runtime.query) {
        // Only the current process speaks for the session (not one being replaced, or failing to start).
        if (this.runtime === runtime && runtime.alive) this.onMessage(message);
      }
    } catch (error) {
      failure = error;
    }
    const wasAlive = runtime.alive;
    runtime.alive = false;
    if (this.closed || !wasAlive || this.runtime !== runtime) return;
    this.runtime = undefined;
    const message = `claude code exited unexpectedly${failure ? `: ${errorMessage(failure)}` : ''}`;
    this.log.error({ stderr: runtime.stderr.join('').slice(-2_000) }, message);
    const turn = this.turn;
    // A turn without a message was not sent to this process: `runTurn` sends it to a new one.
    if (turn?.message && turn.status === undefined) {
      if (!turn.sawOutput && !turn.resent && !turn.interruptRequested) {
        this.resend(turn).catch((error: unknown) => {
          turn.localError = { message: errorMessage(error), code: 'runtime-exited' };
          turn.finish('failed');
        });
      } else {
        turn.localError = { message, code: 'runtime-exited' };
        turn.finish(turn.interruptRequested ? 'interrupted' : 'failed');
      }
    }
    this.compaction?.resolve({ ok: false, error: message });
  }

  /**
   * The process died before it answered the turn (e.g. it was already gone): once more on a new one. Rejects when
   * no new process starts; the caller fails the turn then.
   */
  private async resend(turn: ClaudeTurn): Promise<void> {
    turn.resent = true;
    const runtime = await this.ensureRuntime();
    if (turn.status === undefined && turn.message) runtime.input.push(turn.message);
  }

  // --- messages and hooks -----------------------------------------------------------------------------------

  private onMessage(message: SDKMessage): void {
    if (this.turn && speaksFor(this.turn, message)) this.turn.sawOutput = true;
    switch (message.type) {
      case 'system':
        this.onSystem(message);
        return;
      case 'stream_event': {
        const { event } = message;
        const turn = this.turn;
        if (!turn || turn.status !== undefined || message.parent_tool_use_id !== null) return;
        if (
          event.type === 'content_block_delta' &&
          event.delta.type === 'text_delta' &&
          event.delta.text !== ''
        ) {
          turn.emit({ type: 'text-delta', turnId: turn.turnId, delta: event.delta.text });
        }
        return;
      }
      case 'assistant':
        if (message.error && this.turn && message.parent_tool_use_id === null) {
          this.turn.assistantError = message.error;
        }
        return;
      case 'result':
        this.onResult(message);
        return;
      default:
        return;
    }
  }

  private onSystem(message: Extract<SDKMessage, { type: 'system' }>): void {
    if (message.subtype === 'init') {
      this.persisted = true;
      if (message.session_id && message.session_id !== this.sessionId) {
        this.log.info({ from: this.sessionId, to: message.session_id }, 'claude session id changed');
        this.sessionId = message.session_id;
      }
      return;
    }
    if (message.subtype === 'compact_boundary') {
      if (this.compaction) this.compaction.boundary = true;
      else this.emitRuntimeCompaction({ ok: true });
      return;
    }
    if (message.subtype === 'status' && message.compact_result === 'failed') {
      const error = message.compact_error ?? 'compaction failed';
      if (this.compaction) this.compaction.error = error;
      else this.emitRuntimeCompaction({ ok: false, error });
    }
  }

  /** A compaction Claude Code ran on its own (context full): reported on the running turn's stream. */
  private emitRuntimeCompaction(result: { ok: boolean; error?: string }): void {
    this.log.info({ ok: result.ok }, 'claude compacted the conversation on its own');
    this.turn?.emit({ type: 'compaction-end', reason: 'runtime', ...result });
  }

  private onResult(result: SDKResultMessage): void {
    const compaction = this.compaction;
    if (compaction) {
      if (compaction.boundary && !result.is_error) compaction.resolve({ ok: true });
      else compaction.resolve({ ok: false, error: compaction.error ?? compactionFailure(result) });
      return;
    }
    const turn = this.turn;
    if (!turn || turn.status !== undefined) {
      this.log.debug({ subtype: result.subtype }, 'claude result without a turn');
      return;
    }
    turn.result = result;
    const succeeded = result.subtype === 'success' && !result.is_error;
    if (turn.interruptRequested && !succeeded) turn.finish('interrupted');
    else turn.finish(succeeded ? 'completed' : 'failed');
  }

  /** PreToolUse/PostToolUse(Failure) → tool events of the running turn; PreCompact → transcript archive. */
  private hooks(): Partial<Record<HookEvent, HookCallbackMatcher[]>> {
    const emitTool = (event: AgentEvent) => {
      const turn = this.turn;
      if (turn && turn.status === undefined) turn.emit(event);
    };
    const on = (handler: (input: Record<string, unknown>) => void | Promise<void>): HookCallbackMatcher[] => [
      {
        hooks: [
          async (input) => {
            try {
              await handler(input as unknown as Record<string, unknown>);
            } catch (error) {
              this.log.warn({ err: error, hook: input.hook_event_name }, 'claude hook handler failed');
            }
            return { continue: true };
          },
        ],
      },
    ];
    const turnId = () => this.turn?.turnId ?? '';
    return {
      PreToolUse: on((input) => {
        emitTool({ type: 'tool-call', turnId: turnId(), ...toolCallOf(input as never) });
      }),
      PostToolUse: on((input) => {
        emitTool({ type: 'tool-result', turnId: turnId(), ...toolResultOf(input as never) });
      }),
      PostToolUseFailure: on((input) => {
        emitTool({ type: 'tool-result', turnId: turnId(), ...toolFailureOf(input as never) });
      }),
      PreCompact: on(async (input) => {
        if (!this.init.archiveOnCompact) return;
        const file = await archiveTranscript({
          transcriptPath: String(input.transcript_path),
          sessionId: String(input.session_id ?? this.sessionId),
          cwd: this.init.options.cwd,
          trigger: input.trigger === 'auto' ? 'auto' : 'manual',
        });
        this.log.info({ file }, 'archived the conversation before compaction');
      }),
    };
  }
}

/** Why a `/compact` result came without a compaction. */
function compactionFailure(result: SDKResultMessage): string {
  if (result.is_error) return resultErrorText(result);
  const said = result.subtype === 'success' ? result.result.trim() : '';
  return said ? `nothing was compacted: ${said}` : 'nothing was compacted';
}

/** Claude Code's message for a failed result. */
function resultErrorText(result: SDKResultMessage | undefined): string {
  if (!result) return 'the Claude turn failed';
  if (result.subtype === 'success') return result.result || 'the Claude turn failed';
  return result.errors.join('\n') || `the Claude turn failed (${result.subtype})`;
}

/** A start failure as a `ClaudeProviderError`: `session-invalid` for a resume Claude Code cannot serve. */
function startError(error: unknown, stderr: string[]): ClaudeProviderError {
  if (error instanceof ClaudeProviderError) return error;
  const message = errorMessage(error).replace(/^Claude Code returned an error result: /, '');
  if (isClaudeSessionInvalid(error))
    return new ClaudeProviderError('session-invalid', message, { cause: error });
  const tail = stderr.join('').trim().slice(-1_000);
  return new ClaudeProviderError('runtime-exited', tail ? `${message}\n${tail}` : message, { cause: error });
}

/** `promise` within `ms`, or a `timeout` ClaudeProviderError saying what did not happen in time. */
function inTime<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return withTimeout(promise, ms, () => new ClaudeProviderError('timeout', `${message} within ${ms} ms`));
}
