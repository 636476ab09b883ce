import { describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from './emitter.js';

interface Events {
  'thing-happen': { n: number };
}

describe('TypedEmitter', () => {
  it('delivers to listeners until they unsubscribe', () => {
    const emitter = new TypedEmitter<Events>(() => {});
    const seen: number[] = [];
    const off = emitter.on('thing-happen', ({ n }) => seen.push(n));
    expect(emitter.has('thing-happen')).toBe(true);
    emitter.emit('thing-happen', { n: 1 });
    off();
    emitter.emit('thing-happen', { n: 2 });
    expect(seen).toEqual([1]);
    expect(emitter.has('thing-happen')).toBe(false);
  });

  it('reports a throwing listener and still calls the others', () => {
    const onError = vi.fn();
    const emitter = new TypedEmitter<Events>(onError);
    const other = vi.fn();
    emitter.on('thing-happen', () => {
      throw new Error('boom');
    });
    emitter.on('thing-happen', other);
    emitter.emit('thing-happen', { n: 1 });
    expect(onError).toHaveBeenCalledWith('thing-happen', expect.any(Error));
    expect(other).toHaveBeenCalledOnce();
  });
});
