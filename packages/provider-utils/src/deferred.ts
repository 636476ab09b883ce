/** A promise with its `resolve` outside: the first `resolve` wins, later ones are ignored. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  private resolvePromise: (value: T) => void = () => {};
  private isSettled = false;

  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolvePromise = resolve;
    });
  }

  get settled(): boolean {
    return this.isSettled;
  }

  /** Settles the promise with `value`; true when this call settled it. */
  resolve(value: T): boolean {
    if (this.isSettled) return false;
    this.isSettled = true;
    this.resolvePromise(value);
    return true;
  }
}
