/** A single-consumer async queue: the producer pushes, the consumer iterates; `end()` finishes the stream. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  /** Ends the stream once the buffered values are read; with an error, iteration then throws it. */
  end(error?: unknown): void;
  readonly ended: boolean;
}

type Waiter<T> = (result: IteratorResult<T>) => void;

/** `onCancel` runs when the consumer stops early (`break` out of `for await`). */
export function createAsyncQueue<T>(onCancel?: () => void): AsyncQueue<T> {
  const buffer: T[] = [];
  let waiter: { resolve: Waiter<T>; reject: (error: unknown) => void } | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;

  const settleWaiter = () => {
    if (!waiter) return;
    const current = waiter;
    if (buffer.length > 0) {
      waiter = undefined;
      current.resolve({ value: buffer.shift() as T, done: false });
    } else if (ended) {
      waiter = undefined;
      if (failure) current.reject(failure.error);
      else current.resolve({ value: undefined, done: true });
    }
  };

  const iterator: AsyncIterator<T> = {
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        waiter = { resolve, reject };
        settleWaiter();
      }),
    return: async () => {
      if (!ended) {
        ended = true;
        buffer.length = 0;
        onCancel?.();
      }
      return { value: undefined, done: true };
    },
  };

  return {
    push(value) {
      if (ended) return;
      buffer.push(value);
      settleWaiter();
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) failure = { error };
      settleWaiter();
    },
    get ended() {
      return ended;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}
