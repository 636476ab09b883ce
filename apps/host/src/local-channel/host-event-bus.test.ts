import { describe, expect, it, vi } from 'vitest';
import type { HostEvent } from '../host-api.js';
import { createHostEventBus } from './host-event-bus.js';

const reply = (folder: string, text = 'hi'): HostEvent => ({
  type: 'reply',
  folder,
  text,
  inReplyTo: [],
  chat: `local:default:${folder}`,
});

describe('createHostEventBus', () => {
  it('delivers to the group’s listeners and to `*` listeners', () => {
    const bus = createHostEventBus();
    const main: HostEvent[] = [];
    const all: HostEvent[] = [];
    bus.subscribe('main', (event) => main.push(event));
    bus.subscribe('*', (event) => all.push(event));
    bus.publish(reply('main'));
    bus.publish({ type: 'run-end', folder: 'family', runId: 'r', status: 'failed' });
    expect(main.map((e) => e.folder)).toEqual(['main']);
    expect(all.map((e) => e.type)).toEqual(['reply', 'run-end']);
  });

  it('unsubscribes once, even when the same function is subscribed twice', () => {
    const bus = createHostEventBus();
    const listener = vi.fn();
    const first = bus.subscribe('main', listener);
    bus.subscribe('main', listener);
    bus.publish(reply('main'));
    expect(listener).toHaveBeenCalledTimes(2);
    first();
    first();
    bus.publish(reply('main'));
    expect(listener).toHaveBeenCalledTimes(3);
    expect(bus.listenerCount('main')).toBe(1);
  });

  it('keeps delivering when a listener throws, and logs it', () => {
    const warn = vi.fn();
    const logger = { trace() {}, debug() {}, info() {}, warn, error() {}, fatal() {}, child: () => logger };
    const bus = createHostEventBus({ logger });
    const after = vi.fn();
    bus.subscribe('main', () => {
      throw new Error('boom');
    });
    bus.subscribe('main', after);
    expect(() => bus.publish(reply('main'))).not.toThrow();
    expect(after).toHaveBeenCalledOnce();
    expect(warn).toHaveBeenCalledOnce();
  });

  it('lets a listener unsubscribe while being notified', () => {
    const bus = createHostEventBus();
    const seen: string[] = [];
    const off = bus.subscribe('main', () => {
      seen.push('a');
      off();
    });
    bus.subscribe('main', () => seen.push('b'));
    bus.publish(reply('main'));
    bus.publish(reply('main'));
    expect(seen).toEqual(['a', 'b', 'b']);
    expect(bus.listenerCount()).toBe(1);
  });
});
