import type { FollowUpDelivery, FollowUpInbox } from './types.js';

/** The queue's side of a run's follow-up inbox. */
export class RunInbox<I> implements FollowUpInbox<I> {
  #waiting: I[] = [];
  #closed = false;
  readonly #listeners = new Set<(delivery: FollowUpDelivery) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  get size(): number {
    return this.#waiting.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  take(): I[] {
    const taken = this.#waiting;
    this.#waiting = [];
    return taken;
  }

  subscribe(listener: (delivery: FollowUpDelivery) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): I[] {
    this.#closed = true;
    this.#listeners.clear();
    return this.take();
  }

  /** Adds inputs and tells the subscribers. The caller checks `closed` first. */
  deliver(inputs: I[], interrupt: boolean): void {
    this.#waiting.push(...inputs);
    const delivery: FollowUpDelivery = { count: inputs.length, interrupt };
    for (const listener of [...this.#listeners]) {
      try {
        listener(delivery);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
