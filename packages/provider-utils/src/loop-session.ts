import {
  AGENT_PROVIDER_SPEC_VERSION,
  type AgentEvent,
  type AgentSession,
  type Logger,
  silentLogger,
  type TurnInput,
} from '@nanoclaw/core';
import type { LoopTurn } from './loop-turn.js';
import { type CompactionReason, createRunLoop, type EmitEvent, type RunLoop } from './run-loop.js';

/** What a provider resolved for its session (the rest of its init is its own). */
export interface LoopSessionInit {
  /** The provider id the session reports. */
  providerId: string;
  logger?: Logger;
}

/** Opens `session` (starts its runtime) and returns it. */
export async function openSession<S extends { open(): Promise<void> }>(session: S): Promise<S> {
  await session.open();
  return session;
}

/**
 * An `AgentSession` whose run loop (prompt / push / interrupt / compact / close) is `createRunLoop`'s: a
 * provider's session extends it and maps only its protocol, in the protected methods below.
 */
export abstract class LoopSession<T extends LoopTurn> implements AgentSession {
  readonly specificationVersion = AGENT_PROVIDER_SPEC_VERSION;
  readonly provider: string;
  abstract readonly continuation: string | undefined;
  protected readonly log: Logger;
  private readonly loop: RunLoop<T>;

  /**
   * `name` names the runtime in log lines; `closedError(message)` makes what `prompt()` / `compact()` throw once
   * the session is closed ("<name> session is closed").
   */
  constructor(init: LoopSessionInit, name: string, closedError: (message: string) => Error) {
    this.provider = init.providerId;
    this.log = init.logger ?? silentLogger;
    this.loop = createRunLoop<T>({
      name,
      logger: this.log,
      closedError: () => closedError(`${name} session is closed`),
      createTurn: (input, emit) => this.createTurn(input, emit),
      runTurn: (turn, input, emit) => this.runTurn(turn, input, emit),
      interruptTurn: (turn) => this.interruptTurn(turn),
      runCompaction: (reason, emit) => this.runCompaction(reason, emit),
      compactAfterTurn: () => this.compactAfterTurn(),
      stopRuntime: () => this.stopRuntime(),
    });
  }

  get busy(): boolean {
    return this.loop.busy;
  }

  prompt(input: TurnInput, options?: { signal?: AbortSignal }): AsyncIterable<AgentEvent> {
    return this.loop.prompt(input, options);
  }

  push(input: TurnInput): boolean {
    return this.loop.push(input);
  }

  interrupt(): Promise<void> {
    return this.loop.interrupt();
  }

  async compact(): Promise<void> {
    this.loop.compact();
  }

  close(): Promise<void> {
    return this.loop.close();
  }

  /** The turn that runs now. */
  protected get turn(): T | undefined {
    return this.loop.turn;
  }

  protected get closed(): boolean {
    return this.loop.closed;
  }

  /** Sends the interrupt of a turn asked to stop before its runtime could take it; failures are logged. */
  protected requestInterrupt(turn: T): void {
    this.loop.requestInterrupt(turn);
  }

  /** The state of a new turn, made before anything async. */
  protected abstract createTurn(input: TurnInput, emit: EmitEvent): T;
  /** Runs the turn: emits its `turn-start` ... `turn-end` and resolves when they are out. */
  protected abstract runTurn(turn: T, input: TurnInput, emit: EmitEvent): Promise<void>;
  /** Sends an interrupt for a running turn whose `interruptRequested` was just set. */
  protected abstract interruptTurn(turn: T): Promise<void> | void;
  /** Compacts, then emits `compaction-end`; a failure is reported as one, never thrown. */
  protected abstract runCompaction(reason: CompactionReason, emit: EmitEvent): Promise<void>;
  /** The runtime's own shutdown, run once by `close()`. */
  protected abstract stopRuntime(): Promise<void>;

  /** Whether to compact after a turn (a token threshold); never by default. */
  protected compactAfterTurn(): boolean {
    return false;
  }
}
