import { describe, expect, it } from 'vitest';
import { splitMessage } from './split-message.js';

const words = (text: string) => text.split(/\s+/).filter((w) => w !== '' && !w.startsWith('```'));
const fenceLines = (text: string) => text.split('\n').filter((l) => /^\s*```/.test(l)).length;

function expectWellFormed(parts: string[], text: string, limit: number) {
  for (const part of parts) {
    expect(part.length).toBeLessThanOrEqual(limit);
    expect(part.trim()).not.toBe('');
    expect(fenceLines(part) % 2).toBe(0);
  }
  expect(words(parts.join('\n'))).toEqual(words(text));
}

describe('splitMessage', () => {
  it('returns short text as one part, and nothing for empty text', () => {
    expect(splitMessage('hello', 10)).toEqual(['hello']);
    expect(splitMessage('exactly10!', 10)).toEqual(['exactly10!']);
    expect(splitMessage('', 10)).toEqual([]);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => splitMessage('x', 0)).toThrow(RangeError);
    expect(() => splitMessage('x', 1.5)).toThrow(RangeError);
  });

  it('cuts at whitespace, never inside a word, and drops the whitespace at the cut', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta';
    const parts = splitMessage(text, 12);
    expect(parts).toEqual(['alpha beta', 'gamma delta', 'epsilon zeta', 'eta theta']);
    expectWellFormed(parts, text, 12);
  });

  it('prefers a paragraph break, then a line break, then a sentence end', () => {
    const para = `${'a'.repeat(30)} ${'b'.repeat(10)}\n\n${'c'.repeat(20)} d`;
    expect(splitMessage(para, 60)[0]).toBe(`${'a'.repeat(30)} ${'b'.repeat(10)}`);
    const line = `${'a'.repeat(30)}\n${'b'.repeat(10)} ${'c'.repeat(20)}`;
    expect(splitMessage(line, 50)[0]).toBe('a'.repeat(30));
    const sentence = `${'a'.repeat(20)} end. ${'b'.repeat(10)} ${'c'.repeat(20)}`;
    expect(splitMessage(sentence, 50)[0]).toBe(`${'a'.repeat(20)} end.`);
  });

  it('does not take a paragraph break that would leave a tiny first part', () => {
    const text = `hi\n\n${'word '.repeat(30)}`.trim();
    const parts = splitMessage(text, 60);
    expect(parts[0]?.startsWith('hi\n\nword')).toBe(true);
    expectWellFormed(parts, text, 60);
  });

  it('hard-cuts a word longer than the limit', () => {
    const text = `short ${'x'.repeat(25)} tail`;
    const parts = splitMessage(text, 10);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(10);
    expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(20);
    const parts = splitMessage(text, 7);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(7);
      expect(part).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
    expect(parts.join('')).toBe(text);
  });

  it('keeps a markdown link whole even with spaces in its text', () => {
    const link = '[the full docs page](https://example.com/a/b?c=d)';
    const text = `${'word '.repeat(8)}${link} after`;
    const parts = splitMessage(text, 60);
    expect(parts.some((p) => p.includes(link))).toBe(true);
    expectWellFormed(parts, text, 60);
  });

  it('keeps inline code spans whole', () => {
    const code = '`npm run build --filter x`';
    const text = `${'word '.repeat(7)}${code} tail`;
    const parts = splitMessage(text, 45);
    expect(parts.some((p) => p.includes(code))).toBe(true);
  });

  it('closes a code fence at a cut and reopens it with its language', () => {
    const lines = Array.from({ length: 12 }, (_, i) => `  const v${i} = ${i};`);
    const text = `Intro text.\n\n\`\`\`ts\n${lines.join('\n')}\n\`\`\`\n\nOutro.`;
    const parts = splitMessage(text, 120);
    expect(parts.length).toBeGreaterThan(1);
    expectWellFormed(parts, text, 120);
    const reopened = parts.slice(1).filter((p) => p.startsWith('```ts\n'));
    expect(reopened.length).toBeGreaterThan(0);
    // indentation inside the code block survives the cut
    for (const part of parts)
      for (const line of part.split('\n'))
        if (line.includes('const')) expect(line.startsWith('  const')).toBe(true);
  });

  it('does not end a part on a bare fence opener', () => {
    const text = `${'prose '.repeat(8).trim()}\n\`\`\`\ncode line one\ncode line two\n\`\`\``;
    const parts = splitMessage(text, 56);
    for (const part of parts) expect(part.trimEnd().endsWith('```') && fenceLines(part) === 1).toBe(false);
    expectWellFormed(parts, text, 56);
  });

  it('closes an unterminated fence in every part', () => {
    const text = `\`\`\`\n${'line of code\n'.repeat(10)}`;
    const parts = splitMessage(text, 50);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(50);
      expect(part.startsWith('```')).toBe(true);
    }
  });

  it('supports ~~~ fences and longer backtick fences', () => {
    const text = `~~~py\n${'print(1)\n'.repeat(12)}~~~\n\n\`\`\`\`\n${'x = 1\n'.repeat(12)}\`\`\`\``;
    const parts = splitMessage(text, 48);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(48);
      const tildes = part.split('\n').filter((l) => l.startsWith('~~~')).length;
      const ticks = part.split('\n').filter((l) => l.startsWith('````')).length;
      expect(tildes % 2).toBe(0);
      expect(ticks % 2).toBe(0);
    }
  });

  it('treats fences as prose when the limit is too small to reopen them', () => {
    const text = '```\nabc def ghi jkl\n```';
    for (const part of splitMessage(text, 8)) expect(part.length).toBeLessThanOrEqual(8);
  });

  it('handles the telegram limit on a large mixed text', () => {
    const chunks: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      chunks.push(
        `Paragraph ${i} with some words, a [link ${i}](https://example.com/${i}) and \`code${i}\`.`,
      );
      if (i % 25 === 0)
        chunks.push(
          `\`\`\`js\n${Array.from({ length: 40 }, (_, j) => `let a${i}_${j} = ${j};`).join('\n')}\n\`\`\``,
        );
    }
    const text = chunks.join('\n\n');
    const parts = splitMessage(text, 4096);
    expectWellFormed(parts, text, 4096);
    for (let i = 0; i < 200; i += 1) {
      expect(parts.some((p) => p.includes(`[link ${i}](https://example.com/${i})`))).toBe(true);
    }
  });

  it('is fuzz-stable: random texts keep every word, fence balance and the limit', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = [
      'lorem',
      'ipsum.',
      '\n',
      '\n\n',
      '[a link](https://x.y/z)',
      '`tick`',
      'https://example.org/q?x=1',
    ];
    for (let round = 0; round < 60; round += 1) {
      const out: string[] = [];
      let inFence = false;
      for (let i = 0; i < 300; i += 1) {
        if (random() < 0.02) {
          out.push(inFence ? '\n```\n' : '\n```sh\n');
          inFence = !inFence;
        } else out.push(pieces[Math.floor(random() * pieces.length)] ?? 'x', ' ');
      }
      if (inFence) out.push('\n```');
      const text = out.join('');
      const limit = 40 + Math.floor(random() * 400);
      expectWellFormed(splitMessage(text, limit), text, limit);
    }
  });
});
