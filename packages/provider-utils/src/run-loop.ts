import {
  type AgentEvent,
  type AsyncQueue,
  createAsyncQueue,
  type Logger,
  silentLogger,
  type TurnInput,
} from '@nanoclaw/core';
import type { LoopTurn } from './loop-turn.js';

export type EmitEvent = (event: AgentEvent) => void;
export type CompactionReason = 'threshold' | 'requested';

/** What a session maps onto its runtime's protocol; the loop does the rest. */
export interface RunLoopProtocol<T extends LoopTurn> {
  /** Names the runtime in log lines ("codex run failed"). */
  name: string;
  logger?: Logger;
  /** What `prompt()` / `compact()` throw once the session is closed. */
  closedError: () => Error;
  /** The state of a new turn, made before anything async (the loop tracks it as the current turn). */
  createTurn(input: TurnInput, emit: EmitEvent): T;
  /** Runs the turn: emits its `turn-start` ... `turn-end` and resolves when they are out. */
  runTurn(turn: T, input: TurnInput, emit: EmitEvent): Promise<void>;
  /** Sends an interrupt for a running turn whose `interruptRequested` was just set. */
  interruptTurn(turn: T): Promise<void> | void;
  /** Compacts, then emits `compaction-end`; a failure is reported as one, never thrown. */
  runCompaction(reason: CompactionReason, emit: EmitEvent): Promise<void>;
  /** Asked after each turn of a run that goes on: whether to compact now. */
  compactAfterTurn?(): boolean;
  /** The runtime's own shutdown, run once by `close()` after the run was cancelled. */
  stopRuntime(): Promise<void>;
}

/** The run loop of a session: `AgentSession`'s prompt / push / interrupt / compact / close, once. */
export interface RunLoop<T extends LoopTurn> {
  /** True while a run (a prompt and the input pushed into it) is going. */
  readonly busy: boolean;
  readonly closed: boolean;
  /** The turn that runs now. */
  readonly turn: T | undefined;
  prompt(input: TurnInput, options?: { signal?: AbortSignal }): AsyncIterable<AgentEvent>;
  push(input: TurnInput): boolean;
  interrupt(): Promise<void>;
  /** Compacts before the next turn (at the start of the next run). */
  compact(): void;
  /** Marks `turn` interrupted and sends the interrupt now; a failure to send is logged, never thrown. */
  requestInterrupt(turn: T): void;
  /**
   * Closes once: cancels the run, ends the running turn as `interrupted`, stops the runtime and waits for the
   * run to end. Later calls return the same promise.
   */
  close(): Promise<void>;
}

export function createRunLoop<T extends LoopTurn>(protocol: RunLoopProtocol<T>): RunLoop<T> {
  return new SessionRunLoop(protocol);
}

interface ActiveRun {
  channel: AsyncQueue<AgentEvent>;
  queue: TurnInput[];
  cancelled: boolean;
}

class SessionRunLoop<T extends LoopTurn> implements RunLoop<T> {
  private run: ActiveRun | undefined;
  private runDone: Promise<void> = Promise.resolve();
  private current: T | undefined;
  private compactRequested = false;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly protocol: RunLoopProtocol<T>) {
    this.log = protocol.logger ?? silentLogger;
  }

  get busy(): boolean {
    return this.run !== undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get turn(): T | undefined {
    return this.current;
  }

  prompt(input: TurnInput, options?: { signal?: AbortSignal }): AsyncIterable<AgentEvent> {
    if (this.isClosed) throw this.protocol.closedError();
    if (this.run) throw new Error('a run is already active; push() follow-up input instead');
    const run: ActiveRun = {
      channel: createAsyncQueue<AgentEvent>(() => this.cancel(run)),
      queue: [input],
      cancelled: false,
    };
    this.run = run;
    const signal = options?.signal;
    if (signal?.aborted) this.cancel(run);
    else signal?.addEventListener('abort', () => this.cancel(run), { once: true });
    this.runDone = this.drive(run);
    return run.channel;
  }

  push(input: TurnInput): boolean {
    const run = this.run;
    if (!run || run.cancelled || this.isClosed) return false;
    run.queue.push(input);
    return true;
  }

  async interrupt(): Promise<void> {
    const turn = this.current;
    if (!turn || turn.status !== undefined) return;
    this.requestInterrupt(turn);
    await turn.done;
  }

  compact(): void {
    if (this.isClosed) throw this.protocol.closedError();
    this.compactRequested = true;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.isClosed = true;
    if (this.run) this.cancel(this.run);
    this.current?.finish('interrupted');
    await this.protocol.stopRuntime();
    await this.runDone;
  }

  /** The consumer stopped or the prompt's signal aborted: no more input; the running turn is interrupted. */
  private cancel(run: ActiveRun): void {
    if (run.cancelled) return;
    run.cancelled = true;
    run.queue.length = 0;
    const turn = this.current;
    if (turn && turn.status === undefined && !this.isClosed) this.requestInterrupt(turn);
  }

  requestInterrupt(turn: T): void {
    turn.interruptRequested = true;
    const failed = (error: unknown) =>
      this.log.warn({ err: error }, `${this.protocol.name} could not interrupt the turn`);
    try {
      // Called at once (not a tick later): the protocol may mark the turn before the caller goes on.
      this.protocol.interruptTurn(turn)?.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Runs the queued input turn by turn (a requested compaction first); never rejects. */
  private async drive(run: ActiveRun): Promise<void> {
    const emit: EmitEvent = (event) => run.channel.push(event);
    try {
      if (this.compactRequested && !run.cancelled) {
        this.compactRequested = false;
        await this.protocol.runCompaction('requested', emit);
      }
      for (let input = run.queue.shift(); input; input = run.queue.shift()) {
        await this.playTurn(input, emit);
        if (!run.cancelled && !this.isClosed && this.protocol.compactAfterTurn?.()) {
          await this.protocol.runCompaction('threshold', emit);
        }
      }
      this.run = undefined;
      run.channel.end();
    } catch (error) {
      this.log.error({ err: error }, `${this.protocol.name} run failed`);
      this.run = undefined;
      run.channel.end(error);
    }
  }

  private async playTurn(input: TurnInput, emit: EmitEvent): Promise<void> {
    const turn = this.protocol.createTurn(input, emit);
    this.current = turn;
    try {
      await this.protocol.runTurn(turn, input, emit);
    } finally {
      if (this.current === turn) this.current = undefined;
    }
  }
}
