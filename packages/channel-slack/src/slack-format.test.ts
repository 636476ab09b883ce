import { describe, expect, it } from 'vitest';
import { toSlackPieces } from './slack-channel.js';
import { markdownToSlack, slackToMarkdown } from './slack-format.js';

describe('markdownToSlack', () => {
  it('escapes entities, converts links, bold, strike and headings', () => {
    expect(markdownToSlack('# Title\n**bold** ~~old~~ [docs](https://x.dev/?a=1&b=2) 1 < 2 & 3 > 2')).toBe(
      '*Title*\n*bold* ~old~ <https://x.dev/?a=1&amp;b=2|docs> 1 &lt; 2 &amp; 3 &gt; 2',
    );
  });

  it('only escapes code, and drops the fence language', () => {
    expect(markdownToSlack('`a <b>` and **x**\n```ts\nconst a = b && c;\n```')).toBe(
      '`a &lt;b&gt;` and *x*\n```\nconst a = b &amp;&amp; c;\n```',
    );
  });

  it('round-trips links and escapes through slackToMarkdown', () => {
    const markdown = 'see [the docs](https://example.com/a?b=1&c=2) for a < b & c';
    expect(slackToMarkdown(markdownToSlack(markdown))).toBe(markdown);
  });
});

describe('slackToMarkdown', () => {
  it('reads Slack message text as Markdown, keeping user mentions', () => {
    expect(slackToMarkdown('<@U1> see <https://a.dev> in <#C1|general> &amp; <https://b.dev|b>')).toBe(
      '<@U1> see https://a.dev in #general & [b](https://b.dev)',
    );
  });
});

describe('toSlackPieces', () => {
  it('keeps every converted piece within the limit even when escaping grows it', () => {
    const text = Array.from({ length: 300 }, (_, i) => `a&b<${i}>`).join(' ');
    const pieces = toSlackPieces(text, 200);
    expect(pieces.every((p) => p.length <= 200)).toBe(true);
    expect(slackToMarkdown(pieces.join(' '))).toBe(text);
  });
});
