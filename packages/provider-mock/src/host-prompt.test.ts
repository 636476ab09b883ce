import { describe, expect, it } from 'vitest';
import { parseDirectives } from './directive-script.js';
import { messagesOfHostPrompt } from './host-prompt.js';

const prompt = [
  '<context>',
  '<message from="Bob" at="2026-11-24 08:58 +00:00">/fail not me</message>',
  '</context>',
  '<messages>',
  '<message from="Alice" at="2026-11-24 09:00 +00:00"><quote from="Bob">lunch?</quote>/tool nanoclaw.send_message {&quot;text&quot;:&quot;a &amp; b &lt;3&quot;}',
  'hello</message>',
  '<message from="Alice" at="2026-11-24 09:01 +00:00">second</message>',
  '</messages>',
].join('\n');

describe('messagesOfHostPrompt', () => {
  it('reads the turn messages of a host prompt, unescaped, without context or quotes', () => {
    expect(messagesOfHostPrompt(prompt)).toBe(
      '/tool nanoclaw.send_message {"text":"a & b <3"}\nhello\nsecond',
    );
  });

  it('lets directives in a host prompt work', () => {
    const parsed = parseDirectives(messagesOfHostPrompt(prompt));
    expect(parsed).toMatchObject({
      toolCalls: [{ server: 'nanoclaw', tool: 'send_message', args: { text: 'a & b <3' } }],
      text: 'hello\nsecond',
    });
  });

  it('leaves plain text alone', () => {
    expect(messagesOfHostPrompt('just text <b>')).toBe('just text <b>');
  });
});
