/**
 * Debounces pushes for `collect` mode: delivers everything collected once no push came for `windowMs`, or
 * `maxWaitMs` after the first one, whichever is sooner. One timer at a time.
 */
export class InputCollector<I> {
  #inputs: I[] = [];
  #firstAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly maxWaitMs: number,
    private readonly now: () => number,
    private readonly onFlush: (inputs: I[]) => void,
  ) {}

  get size(): number {
    return this.#inputs.length;
  }

  add(input: I): void {
    const now = this.now();
    if (this.#inputs.length === 0) this.#firstAt = now;
    this.#inputs.push(input);
    const untilMax = this.#firstAt + this.maxWaitMs - now;
    this.#arm(Math.max(0, Math.min(this.windowMs, untilMax)));
  }

  /** Delivers what is collected now. */
  flush(): void {
    const inputs = this.take();
    if (inputs.length > 0) this.onFlush(inputs);
  }

  /** Stops the timer and takes what is collected, undelivered. */
  take(): I[] {
    this.#disarm();
    const inputs = this.#inputs;
    this.#inputs = [];
    return inputs;
  }

  #arm(delayMs: number): void {
    this.#disarm();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, delayMs);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
