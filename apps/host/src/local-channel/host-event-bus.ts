import type { Logger } from '@nanoclaw/core';
import type { HostEvent } from '../host-api.js';

export type HostEventListener = (event: HostEvent) => void;

/** In-process fan-out of `HostEvent`s by group folder; `*` hears every group. */
export interface HostEventBus {
  /** Delivers synchronously to the group's listeners, then to `*` listeners. A throwing listener is logged, not fatal. */
  publish(event: HostEvent): void;
  /** Returns the unsubscribe function (idempotent). */
  subscribe(folder: string, listener: HostEventListener): () => void;
  /** Listeners of one folder (or `*`), or of all folders when omitted. */
  listenerCount(folder?: string): number;
}

export const ALL_GROUPS = '*';

export function createHostEventBus(options: { logger?: Logger } = {}): HostEventBus {
  const listeners = new Map<string, Set<HostEventListener>>();

  function notify(key: string, event: HostEvent): void {
    for (const listener of [...(listeners.get(key) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        options.logger?.warn(
          { err: error, folder: event.folder, type: event.type },
          'host event listener failed',
        );
      }
    }
  }

  return {
    publish(event) {
      notify(event.folder, event);
      if (event.folder !== ALL_GROUPS) notify(ALL_GROUPS, event);
    },
    subscribe(folder, listener) {
      // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
      const entry: HostEventListener = (event) => listener(event);
      const set = listeners.get(folder) ?? new Set<HostEventListener>();
      set.add(entry);
      listeners.set(folder, set);
      return () => {
        set.delete(entry);
        if (set.size === 0 && listeners.get(folder) === set) listeners.delete(folder);
      };
    },
    listenerCount(folder) {
      if (folder !== undefined) return listeners.get(folder)?.size ?? 0;
      let total = 0;
      for (const set of listeners.values()) total += set.size;
      return total;
    },
  };
}
