import { describe, expect, it } from 'vitest';
import { assistantTrigger, compileTrigger } from './trigger.js';

describe('assistantTrigger', () => {
  const trigger = assistantTrigger('Andy');

  it.each(['@Andy hi', 'hi @andy', 'hey @ANDY, what?', '(@Andy)', '@Andy'])('matches %j', (text) => {
    expect(trigger.test(text)).toBe(true);
  });

  it.each(['Andy hi', '@Andyman', 'mail@Andy', 'me@andy.com'.replace('.', '_'), '@And y'])(
    'ignores %j',
    (text) => {
      expect(trigger.test(text)).toBe(false);
    },
  );

  it('escapes the name', () => {
    expect(assistantTrigger('a.b').test('@axb')).toBe(false);
    expect(assistantTrigger('a.b').test('@a.b')).toBe(true);
    expect(assistantTrigger('Jo-Bot').test('yo @jo-bot')).toBe(true);
  });
});

describe('compileTrigger', () => {
  it('compiles case-insensitively and reports an invalid source', () => {
    const ok = compileTrigger('^!ops\\b');
    expect(ok.ok && ok.regex.test('!OPS now')).toBe(true);
    const bad = compileTrigger('(oops');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/not a valid regular expression/);
  });
});
