/**
 * The turn timeout's clock: restarted at every turn boundary, stopped while the agent waits for a person (a held
 * clock keeps the time the turn had left), and dead once the run ended.
 */
export class TurnClock {
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;
  #timer: NodeJS.Timeout | undefined;
  #deadline = 0;
  #holds = 0;
  #heldRemaining: number;
  #ended = false;

  constructor(timeoutMs: number, onTimeout: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
    this.#heldRemaining = timeoutMs;
  }

  /** A new turn (or the run's start): the full timeout again. */
  restart(): void {
    this.#start(this.#timeoutMs);
  }

  /** Stops the clock until the returned function is called (once; holds nest). */
  hold(): () => void {
    if (this.#holds === 0) {
      this.#heldRemaining = Math.max(0, this.#deadline - Date.now());
      clearTimeout(this.#timer);
    }
    this.#holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds -= 1;
      if (this.#holds === 0) this.#start(this.#heldRemaining);
    };
  }

  /** The run ended: the clock never fires again. */
  end(): void {
    this.#ended = true;
    clearTimeout(this.#timer);
  }

  #start(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#ended) return;
    if (this.#holds > 0) {
      this.#heldRemaining = ms;
      return;
    }
    this.#deadline = Date.now() + ms;
    this.#timer = setTimeout(this.#onTimeout, ms);
  }
}
