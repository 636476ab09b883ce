/**
 * A FIFO of entries ordered by `seq`: append is O(1) when seq grows (the usual case), an item put back
 * after a failed try is inserted at its place, and the head is removed in O(1) amortised.
 */
export class SeqLane<T extends { readonly seq: number }> {
  /** Slots before `#head` are cleared (undefined) so taken entries can be collected. */
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#items[this.#head] = undefined;
    this.#head += 1;
    this.#compact();
    return item;
  }

  insert(item: T): void {
    const last = this.#items[this.#items.length - 1];
    if (this.size === 0 || (last !== undefined && last.seq < item.seq)) {
      this.#items.push(item);
      return;
    }
    if (this.#head > 0 && (this.peek()?.seq ?? Number.POSITIVE_INFINITY) > item.seq) {
      this.#head -= 1;
      this.#items[this.#head] = item;
      return;
    }
    this.#items.splice(this.#lowerBound(item.seq), 0, item);
  }

  remove(item: T): boolean {
    const index = this.#lowerBound(item.seq);
    if (this.#items[index] !== item) return false;
    if (index === this.#head) {
      this.shift();
    } else {
      this.#items.splice(index, 1);
    }
    return true;
  }

  values(): T[] {
    return this.#items.slice(this.#head).filter((item): item is T => item !== undefined);
  }

  /** First index in the live part whose seq is >= `seq`. */
  #lowerBound(seq: number): number {
    let low = this.#head;
    let high = this.#items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const item = this.#items[mid];
      if (item !== undefined && item.seq < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
