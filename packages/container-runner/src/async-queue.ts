/** A single-consumer async queue: `push` values, `end` it, iterate it once. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  end(): void;
  readonly ended: boolean;
}

export function createAsyncQueue<T>(onReturn?: () => void): AsyncQueue<T> {
  const buffer: T[] = [];
  let ended = false;
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  return {
    get ended() {
      return ended;
    },
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      } else buffer.push(value);
    },
    end() {
      if (ended) return;
      ended = true;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: undefined, done: true });
      }
    },
    [Symbol.asyncIterator]() {
      return {
        next: () => {
          if (buffer.length > 0) return Promise.resolve({ value: buffer.shift() as T, done: false });
          if (ended) return Promise.resolve({ value: undefined, done: true });
          return new Promise<IteratorResult<T>>((resolve) => {
            waiting = resolve;
          });
        },
        return: () => {
          onReturn?.();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
