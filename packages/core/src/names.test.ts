import { describe, expect, it } from 'vitest';
import { groupFolderSchema, timezoneSchema } from './names.js';

describe('groupFolderSchema', () => {
  it.each(['main', 'family-chat', 'a', 'Work_2'])('accepts %s', (folder) => {
    expect(groupFolderSchema.safeParse(folder).success).toBe(true);
  });

  it.each(['', 'global', 'Global', '..', '../x', '-lead', 'a/b', 'x'.repeat(65), 'café', 'a b'])(
    'refuses %j',
    (folder) => {
      expect(groupFolderSchema.safeParse(folder).success).toBe(false);
    },
  );
});

describe('timezoneSchema', () => {
  it('accepts IANA names and refuses others', () => {
    expect(timezoneSchema.safeParse('America/New_York').success).toBe(true);
    expect(timezoneSchema.safeParse('Mars/Olympus').success).toBe(false);
  });
});
