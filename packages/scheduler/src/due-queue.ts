interface Entry {
  id: string;
  at: number;
  /** Insertion order: ties on `at` come out first-in, first-out. */
  seq: number;
}

/** An indexed binary min-heap of task ids by due time: O(log n) set, delete and pop; O(1) peek. */
export interface DueQueue {
  readonly size: number;
  /** Adds the id, or moves it to a new due time. */
  set(id: string, at: number): void;
  delete(id: string): boolean;
  has(id: string): boolean;
  peek(): { id: string; at: number } | undefined;
  pop(): { id: string; at: number } | undefined;
}

export function createDueQueue(): DueQueue {
  const heap: Entry[] = [];
  const positions = new Map<string, number>();
  let nextSeq = 0;

  const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

  function place(entry: Entry, index: number): void {
    heap[index] = entry;
    positions.set(entry.id, index);
  }

  function siftUp(index: number): void {
    const entry = heap[index]!;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      place(parent, i);
      i = parentIndex;
    }
    place(entry, i);
  }

  function siftDown(index: number): void {
    const entry = heap[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, entry)) break;
      place(heap[child]!, i);
      i = child;
    }
    place(entry, i);
  }

  function removeAt(index: number): Entry {
    const removed = heap[index]!;
    positions.delete(removed.id);
    const last = heap.pop()!;
    if (index < heap.length) {
      place(last, index);
      siftDown(index);
      siftUp(positions.get(last.id)!);
    }
    return removed;
  }

  return {
    get size() {
      return heap.length;
    },
    set(id, at) {
      const index = positions.get(id);
      if (index === undefined) {
        heap.push({ id, at, seq: nextSeq++ });
        siftUp(heap.length - 1);
        return;
      }
      const entry = heap[index]!;
      entry.at = at;
      entry.seq = nextSeq++;
      siftUp(index);
      siftDown(positions.get(id)!);
    },
    delete(id) {
      const index = positions.get(id);
      if (index === undefined) return false;
      removeAt(index);
      return true;
    },
    has: (id) => positions.has(id),
    peek() {
      const top = heap[0];
      return top ? { id: top.id, at: top.at } : undefined;
    },
    pop() {
      if (heap.length === 0) return undefined;
      const top = removeAt(0);
      return { id: top.id, at: top.at };
    },
  };
}
