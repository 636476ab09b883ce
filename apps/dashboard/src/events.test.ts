import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesce, debounce, type EventSourceLike, parseHostEvent, subscribeEvents } from './events.js';
import type { HostEvent } from './types.js';

class FakeSource implements EventSourceLike {
  static last: FakeSource | undefined;
  readonly listeners = new Map<string, (event: MessageEvent<string>) => void>();
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSource.last = this;
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  fire(type: string, data: string) {
    this.listeners.get(type)?.(new MessageEvent(type, { data }));
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('event streams', () => {
  it('parses an event with the SSE type as its type', () => {
    expect(parseHostEvent('queue', '{"folder":"main","queued":1,"running":0}')).toEqual({
      type: 'queue',
      folder: 'main',
      queued: 1,
      running: 0,
    });
    expect(parseHostEvent('reply', 'not json')).toBeNull();
    expect(parseHostEvent('reply', '42')).toBeNull();
  });

  it('listens to every named host event, reports the live state and closes', () => {
    const events: HostEvent[] = [];
    const states: string[] = [];
    const close = subscribeEvents(
      '/api/v1/events',
      (e) => events.push(e),
      (s) => states.push(s),
      (url) => new FakeSource(url),
    );
    const source = FakeSource.last!;
    expect(source.url).toBe('/api/v1/events');
    expect([...source.listeners.keys()]).toEqual(
      expect.arrayContaining([
        'text-delta',
        'tool-call',
        'sandbox',
        'queue',
        'task',
        'approval',
        'reply',
        'run-end',
      ]),
    );
    source.onopen?.(new Event('open'));
    source.fire('text-delta', '{"folder":"main","runId":"r","delta":"hi"}');
    source.fire('sandbox', '{"folder":"main","id":"s1","state":"idle"}');
    source.onerror?.(new Event('error'));
    close();
    expect(states).toEqual(['connecting', 'live', 'reconnecting']);
    expect(events.map((e) => e.type)).toEqual(['text-delta', 'sandbox']);
    expect(source.closed).toBe(true);
  });

  it('coalesces a burst into one call that a steady stream cannot postpone', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const call = coalesce(fn, 250);
    for (let t = 0; t < 1000; t += 50) {
      call();
      vi.advanceTimersByTime(50);
    }
    expect(fn).toHaveBeenCalledTimes(4);
    call();
    call.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(4);
  });

  it('debounces until the calls pause, with the last arguments', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const call = debounce(fn, 300);
    call('a');
    vi.advanceTimersByTime(200);
    call('b');
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledExactlyOnceWith('b');
  });
});
