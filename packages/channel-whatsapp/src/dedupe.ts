/**
 * Remembers the messages already handed to the host, so a message WhatsApp delivers twice (a reconnect replaying
 * offline messages, a retry receipt, Baileys emitting one message twice) reaches `host.receive` once. A second
 * delivery while the first `receive` is still running waits for it instead of starting another. Only a `receive`
 * that resolved is remembered: a failed one may run again. Bounded: the oldest keys are forgotten first; the host's
 * own dedupe (by platform id) stays the authority.
 */
export interface Dedupe {
  /** Runs `task` unless `key` is remembered or running (then joins it). Resolves true when this call ran it. */
  run(key: string, task: () => Promise<void>): Promise<boolean>;
  has(key: string): boolean;
  readonly size: number;
}

export function createDedupe(maxKeys = 5000): Dedupe {
  const done = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const remember = (key: string) => {
    done.add(key);
    if (done.size > maxKeys) done.delete(done.values().next().value as string);
  };
  return {
    async run(key, task) {
      if (done.has(key)) return false;
      const inFlight = running.get(key);
      if (inFlight) {
        await inFlight;
        return false;
      }
      const promise = task().then(() => remember(key));
      running.set(key, promise);
      try {
        await promise;
        return true;
      } finally {
        running.delete(key);
      }
    },
    has: (key) => done.has(key),
    get size() {
      return done.size;
    },
  };
}
