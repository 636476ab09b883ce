import { describe, expect, it } from 'vitest';
import { createSseParser } from './sse-parser.js';

describe('createSseParser', () => {
  it('parses events split across chunks and skips comments', () => {
    const parser = createSseParser();
    expect(parser.push(': connected\n\nevent: rep')).toEqual([]);
    expect(parser.push('ly\ndata: {"a":1}\n')).toEqual([]);
    expect(parser.push('\n: heartbeat\n\n')).toEqual([{ event: 'reply', data: '{"a":1}' }]);
  });

  it('joins multi-line data, accepts CRLF and defaults the event name', () => {
    const parser = createSseParser();
    expect(parser.push('data: one\r\ndata:two\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });
});
