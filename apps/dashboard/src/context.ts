/** What every page gets from the app: the API client, the shared event stream and the notice region. */
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { ApiClient } from './api.js';
import { coalesce } from './events.js';
import type { HostEvent } from './types.js';

export type EventListener = (event: HostEvent) => void;

/** Fans the one `/api/v1/events` stream out to the pages that listen. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: HostEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export interface AppContextValue {
  api: ApiClient;
  bus: EventBus;
  /** Says something in the page's live region (`role="status"`). */
  notify: (message: string) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside <AppContext.Provider>');
  return value;
}

/** Refetch (coalesced: at most one call per `ms`) when an event of the shared stream matches. */
export function useRefetchOn(matches: (event: HostEvent) => boolean, refetch: () => void, ms = 250): void {
  const { bus } = useApp();
  const latest = useRef({ matches, refetch });
  latest.current = { matches, refetch };
  useEffect(() => {
    const run = coalesce(() => latest.current.refetch(), ms);
    const off = bus.on((event) => {
      if (latest.current.matches(event)) run();
    });
    return () => {
      off();
      run.cancel();
    };
  }, [bus, ms]);
}
