import { describe, expect, it } from 'vitest';
import { formatSize } from './format-size.js';

describe('formatSize', () => {
  it('formats sizes the way refusals and notices state them', () => {
    expect(formatSize(60 * 1024 * 1024)).toBe('60.0 MB');
    expect(formatSize(2 * 1024 * 1024)).toBe('2.0 MB');
    expect(formatSize(50 * 1024 * 1024, 0)).toBe('50 MB');
    expect(formatSize(4.5 * 1024 * 1024, 0)).toBe('4.5 MB');
    expect(formatSize(1024 * 1024 * 1024, 0)).toBe('1 GB');
  });
});
