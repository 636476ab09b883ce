import { afterAll, describe, expect, it } from 'vitest';
import { closeSessionsAfterEach } from './session-cleanup.js';

const closed: string[] = [];
const closable = (name: string) => ({
  close: async () => {
    closed.push(name);
  },
});

describe('closeSessionsAfterEach', () => {
  const { sessions, worlds } = closeSessionsAfterEach<
    ReturnType<typeof closable>,
    { fake: ReturnType<typeof closable> }
  >(() => closed.push('temp dirs'));

  it('lets a test open sessions and worlds', () => {
    worlds.push({ fake: closable('fake a') }, { fake: closable('fake b') });
    sessions.push(closable('session 1'), closable('session 2'));
    expect(closed).toEqual([]);
  });

  it('closed the sessions, then the fakes, after the test that opened them', () => {
    expect(closed).toEqual(['session 1', 'session 2', 'fake a', 'fake b']);
    expect(sessions).toEqual([]);
    expect(worlds).toEqual([]);
  });
});

afterAll(() => {
  expect(closed.at(-1)).toBe('temp dirs');
});
