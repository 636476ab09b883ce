import type { AgentSandbox } from '@nanoclaw/container-runner';
import type { AgentEvent, TurnInput } from '@nanoclaw/core';

/**
 * A pool's sandbox as handed out: the connection itself, and a signal when a run's stream has ended (the
 * sandbox is then no longer busy), so `acquire` waits for that event instead of polling `busy`.
 */
export class PooledSandbox implements AgentSandbox {
  readonly #inner: AgentSandbox;
  readonly #idleWaiters = new Set<() => void>();
  /** Settles (never rejects) once the sandbox is gone. */
  readonly #exited: Promise<void>;
  #gone = false;

  readonly #onRun: (running: boolean) => void;

  /** `onRun` hears when a run's stream starts (true) and ends (false). */
  constructor(inner: AgentSandbox, onRun: (running: boolean) => void = () => {}) {
    this.#inner = inner;
    this.#onRun = onRun;
    const gone = () => {
      this.#gone = true;
    };
    this.#exited = inner.closed.then(gone, gone);
  }

  get name() {
    return this.#inner.name;
  }
  get runner() {
    return this.#inner.runner;
  }
  get process() {
    return this.#inner.process;
  }
  get continuation() {
    return this.#inner.continuation;
  }
  get busy() {
    return this.#inner.busy;
  }
  get closed() {
    return this.#inner.closed;
  }

  startSession(...args: Parameters<AgentSandbox['startSession']>) {
    return this.#inner.startSession(...args);
  }
  run(input: TurnInput, options?: Parameters<AgentSandbox['run']>[1]): AsyncIterable<AgentEvent> {
    return this.#stream(this.#inner.run(input, options));
  }
  push(input: TurnInput) {
    return this.#inner.push(input);
  }
  interrupt() {
    return this.#inner.interrupt();
  }
  compact() {
    return this.#inner.compact();
  }
  onAction(...args: Parameters<AgentSandbox['onAction']>) {
    return this.#inner.onAction(...args);
  }
  close() {
    return this.#inner.close();
  }
  kill() {
    return this.#inner.kill();
  }

  /**
   * Resolves once no run is streaming (true), the sandbox is gone (true), or `timeoutMs` passed while it is
   * still busy (false). Woken by the end of a run's stream or the sandbox's exit: no polling.
   */
  async whenIdle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inner.busy && !this.#gone) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.#nextChange(left);
    }
    return true;
  }

  /** The next end of a run's stream, the sandbox's exit, or `ms`, whichever comes first. */
  async #nextChange(ms: number): Promise<void> {
    let wake = () => {};
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        wake = resolve;
        this.#idleWaiters.add(wake);
      }),
      this.#exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
    this.#idleWaiters.delete(wake);
  }

  async *#stream(events: AsyncIterable<AgentEvent>): AsyncIterable<AgentEvent> {
    this.#onRun(true);
    try {
      yield* events;
    } finally {
      this.#onRun(false);
      for (const wake of [...this.#idleWaiters]) wake();
    }
  }
}
