type Listener<T> = (payload: T) => void;
type ListenerSets<E> = { [K in keyof E]?: Set<Listener<E[K]>> };

/**
 * A minimal typed event emitter. A listener that throws is reported to `onListenerError` and never
 * disturbs the emitter or the other listeners.
 */
export class TypedEmitter<E> {
  readonly #listeners: ListenerSets<E> = {};

  constructor(private readonly onListenerError: (event: keyof E, error: unknown) => void) {}

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners[event];
    if (!set) {
      set = new Set();
      this.#listeners[event] = set;
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners[event]?.delete(listener);
  }

  /** Whether anyone listens: lets the caller skip building a payload nobody reads. */
  has(event: keyof E): boolean {
    return (this.#listeners[event]?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners[event];
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }
}
