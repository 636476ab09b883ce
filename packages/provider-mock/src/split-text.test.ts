import { describe, expect, it } from 'vitest';
import { splitText } from './split-text.js';

describe('splitText', () => {
  it('splits into near-equal chunks that join back to the text', () => {
    const chunks = splitText('Mock reply to: hello', 3);
    expect(chunks).toHaveLength(3);
    expect(chunks.join('')).toBe('Mock reply to: hello');
  });

  it('never makes more chunks than characters, and none for empty text', () => {
    expect(splitText('ab', 5)).toEqual(['a', 'b']);
    expect(splitText('', 3)).toEqual([]);
    expect(splitText('abc', 0)).toEqual(['abc']);
  });

  it('keeps surrogate pairs whole', () => {
    expect(splitText('😀😀', 2)).toEqual(['😀', '😀']);
  });
});
