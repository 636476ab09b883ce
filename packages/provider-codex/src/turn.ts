import type { AgentEvent, ProviderErrorCode, TurnInput } from '@nanoclaw/core';
import { Deferred, type EmitEvent, LoopTurn } from '@nanoclaw/provider-utils';
import type { AppServer } from './app-server.js';

/**
 * One Codex turn. Its events wait in `pending` until `turn-start` is out (Codex's turn id comes with the
 * turn/start answer, which its first notifications can overtake).
 */
export class CodexTurn extends LoopTurn {
  /** Codex's turn id, once known (from the turn/start answer). */
  codexTurnId?: string;
  /** The id in our events (Codex's turn id, or a local one when turn/start failed). */
  turnId?: string;
  text = '';
  sawText = false;
  /** The message of the last `error` notification with `willRetry: false`. */
  errorMessage?: string;
  errorRetryable = false;
  readonly usage = { input: 0, cached: 0, output: 0, seen: false };
  readonly calls = new Set<string>();
  /** The app-server that accepted the turn (set once turn/start answered). */
  app?: AppServer;
  /** Set when the turn ended without Codex saying so (process exit, interrupt timeout). */
  localError?: { message: string; code: ProviderErrorCode };
  private pending: AgentEvent[] = [];
  private emitStarted = false;
  private readonly started = new Deferred<void>();

  constructor(private readonly emitRun: EmitEvent) {
    super();
  }

  /** Resolves on Codex's `turn/started` for this turn. */
  get codexStarted(): Promise<void> {
    return this.started.promise;
  }

  markCodexStarted(): void {
    this.started.resolve();
  }

  /** Emits on the run's stream (buffered until `turn-start` is out). */
  emit(event: AgentEvent): void {
    if (this.emitStarted) this.emitRun(event);
    else this.pending.push(event);
  }

  /** Emits `turn-start` under `turnId`, then what waited for it. */
  start(turnId: string, input: TurnInput): void {
    this.turnId = turnId;
    this.emitStarted = true;
    this.emitRun({ type: 'turn-start', turnId, input });
    for (const event of this.pending) this.emitRun({ ...event, turnId } as AgentEvent);
    this.pending = [];
  }
}
