/**
 * Live updates: the host's Server-Sent Events streams (`/api/v1/events`, `/api/v1/groups/:folder/events`). The
 * host names each SSE event by its type (`event: reply`), so a listener is added per known type. Pages refetch
 * what an event changes through `coalesce`, so a burst of events (a streaming reply) costs one request.
 */
import { HOST_EVENT_TYPES, type HostEvent } from './types.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

const defaultFactory: EventSourceFactory = (url) =>
  new EventSource(url, { withCredentials: false }) as unknown as EventSourceLike;

/** Parses one SSE event's data as a host event of `type`; null when it is not JSON. */
export function parseHostEvent(type: string, data: string): HostEvent | null {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== 'object' || parsed === null) return null;
    return { ...(parsed as object), type } as HostEvent;
  } catch {
    return null;
  }
}

/**
 * Opens `url` and calls `onEvent` for each host event; `onState` hears whether the stream is live (the browser
 * reconnects by itself after an error). Returns the function that closes it.
 */
export function subscribeEvents(
  url: string,
  onEvent: (event: HostEvent) => void,
  onState: (state: LiveState) => void = () => {},
  factory: EventSourceFactory = defaultFactory,
): () => void {
  onState('connecting');
  const source = factory(url);
  source.onopen = () => onState('live');
  source.onerror = () => onState('reconnecting');
  for (const type of HOST_EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const event = parseHostEvent(type, message.data);
      if (event) onEvent(event);
    });
  }
  return () => source.close();
}

/**
 * `fn` at most once per `ms`: the first call schedules it `ms` later, calls before then join that one. Unlike
 * a plain debounce, a steady stream of calls cannot postpone it for ever. `cancel()` drops a pending call.
 */
export function coalesce(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
  call.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return call;
}

/** Classic debounce: `fn` runs `ms` after the last call (the task preview waits for typing to pause). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  call.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
