/** A small bounded map: the least recently set entries go first. */
export interface Lru<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  has(key: string): boolean;
  delete(key: string): void;
}

export function createLru<V>(maxEntries: number): Lru<V> {
  const map = new Map<string, V>();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
    has: (key) => map.has(key),
    delete: (key) => {
      map.delete(key);
    },
  };
}
