import { describe, expect, it } from 'vitest';
import { hasLabels, parseCliList, stringLabels } from './sandbox-labels.js';

describe('sandbox labels', () => {
  it('matches labels by every wanted key and value', () => {
    expect(hasLabels({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(hasLabels({ a: '1' }, { a: '2' })).toBe(false);
    expect(hasLabels({}, {})).toBe(true);
  });

  it("keeps a CLI's string labels and the list items its reader accepts", () => {
    expect(stringLabels({ a: '1', b: 2, c: null })).toEqual({ a: '1' });
    expect(stringLabels(null)).toEqual({});
    const read = (item: Record<string, unknown>) =>
      typeof item.id === 'string' ? { name: item.id, labels: {}, running: true } : undefined;
    expect(parseCliList('[{"id":"x"},{},3,null]', read)).toEqual([{ name: 'x', labels: {}, running: true }]);
    expect(parseCliList('{"id":"x"}', read)).toEqual([]);
    expect(parseCliList('[', read)).toEqual([]);
  });
});
