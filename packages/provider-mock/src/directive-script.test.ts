import { describe, expect, it } from 'vitest';
import { parseDirectives } from './directive-script.js';

describe('parseDirectives', () => {
  it('keeps plain text and reads no directive', () => {
    expect(parseDirectives('hello\nworld')).toMatchObject({
      text: 'hello\nworld',
      toolCalls: [],
      sleepMs: 0,
    });
  });

  it('reads every directive', () => {
    const parsed = parseDirectives(
      [
        '/tool nanoclaw.send_message {"text":"hi"}',
        '/sleep 250',
        '/stream 5 40',
        '/usage 10 20',
        '/echo-env API_KEY',
        '/exec ["node", "-e", "console.log(1)"]',
        '/fail boom',
        '/crash',
        '/attachments',
        'and some text',
      ].join('\n'),
    );
    expect(parsed).toEqual({
      toolCalls: [{ server: 'nanoclaw', tool: 'send_message', args: { text: 'hi' } }],
      sleepMs: 250,
      stream: { deltas: 5, gapMs: 40 },
      usage: { inputTokens: 10, outputTokens: 20 },
      echoEnv: ['API_KEY'],
      commands: [['node', '-e', 'console.log(1)']],
      fail: 'boom',
      crash: true,
      attachments: true,
      text: 'and some text',
    });
  });

  it('defaults tool args to {} and the failure message', () => {
    expect(parseDirectives('/tool a.list_tasks\n/fail')).toMatchObject({
      toolCalls: [{ server: 'a', tool: 'list_tasks', args: {} }],
      fail: 'mock failure',
    });
  });

  it('treats unknown slash words as text', () => {
    expect(parseDirectives('/help me')).toMatchObject({ text: '/help me' });
  });

  it.each([
    ['/tool nodot {}', 'expected /tool'],
    ['/tool a.b [1]', 'JSON object'],
    ['/tool a.b {nope', 'JSON object'],
    ['/sleep soon', 'expected /sleep'],
    ['/usage 1', 'expected /usage'],
    ['/echo-env 1BAD', 'expected /echo-env'],
    ['/exec node -v', 'expected /exec'],
    ['/exec []', 'expected /exec'],
    ['/exec ["node", 1]', 'expected /exec'],
  ])('rejects %s', (text, message) => {
    const parsed = parseDirectives(text);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});
