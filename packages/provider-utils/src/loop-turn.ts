import type { TurnStatus } from '@nanoclaw/core';
import { Deferred } from './deferred.js';

/**
 * The state of one turn that the run loop needs: how it ended (first `finish` wins), whether an interrupt was
 * asked for, and the interrupt's deadline. A provider extends it with its protocol's state.
 */
export class LoopTurn {
  interruptRequested = false;
  private readonly outcome = new Deferred<TurnStatus>();
  private status_: TurnStatus | undefined;
  private interruptSent_ = false;

  /** Resolves with the status once the turn ended. */
  get done(): Promise<TurnStatus> {
    return this.outcome.promise;
  }

  /** How the turn ended; undefined while it runs. */
  get status(): TurnStatus | undefined {
    return this.status_;
  }

  /** True once `startInterrupt` armed the interrupt. */
  get interruptSent(): boolean {
    return this.interruptSent_;
  }

  /** Ends the turn with `status` (first call wins). */
  finish(status: TurnStatus): void {
    if (this.status_ !== undefined) return;
    this.status_ = status;
    this.outcome.resolve(status);
  }

  /**
   * Marks the interrupt as sent and arms its deadline: `onTimeout` runs after `timeoutMs` unless the turn ended
   * first. False (and nothing armed) when the turn already ended or the interrupt was already sent.
   */
  startInterrupt(timeoutMs: number, onTimeout: () => void): boolean {
    if (this.interruptSent_ || this.status_ !== undefined) return false;
    this.interruptSent_ = true;
    const timer = setTimeout(() => {
      if (this.status_ === undefined) onTimeout();
    }, timeoutMs);
    // The outcome never rejects (a Deferred has no reject).
    void this.outcome.promise.then(() => clearTimeout(timer));
    return true;
  }
}
