/**
 * One build per key at a time in this process, and a short memory of failures: a build that failed answers the
 * next requests for the same key with the same error for `failureMs` (a burst of messages starts one build, not
 * one each), then is tried again. `remember(error)` says which failures stand for good (a package that does not
 * exist: that answer stands until the package list, and so the key, changes).
 */
export class BuildMemo<T> {
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly options: {
      failureMs: number;
      forever?: (error: unknown) => boolean;
    },
  ) {}

  run(key: string, build: () => Promise<T>): Promise<T> {
    const known = this.pending.get(key);
    if (known) return known;
    const started = build().then(
      (built) => {
        this.pending.delete(key);
        return built;
      },
      (error: unknown) => {
        if (!this.options.forever?.(error)) this.forgetLater(key, started);
        throw error;
      },
    );
    // The failure is answered to whoever asks; no one asking is not an unhandled rejection.
    started.catch(() => {});
    this.pending.set(key, started);
    return started;
  }

  private forgetLater(key: string, failed: Promise<T>): void {
    const timer = setTimeout(() => {
      if (this.pending.get(key) === failed) this.pending.delete(key);
    }, this.options.failureMs);
    timer.unref();
  }
}
