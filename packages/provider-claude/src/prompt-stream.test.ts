import { describe, expect, it } from 'vitest';
import { createPromptStream, userMessage } from './prompt-stream.js';

describe('createPromptStream', () => {
  it('yields pushed messages in order, waits while empty, and ends on end()', async () => {
    const stream = createPromptStream();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const message of stream) seen.push(String(message.message.content));
    })();
    stream.push(userMessage('one', '00000000-0000-4000-8000-000000000001'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    stream.push(userMessage('two', '00000000-0000-4000-8000-000000000002'));
    stream.end();
    stream.push(userMessage('dropped', '00000000-0000-4000-8000-000000000003'));
    await reading;
    expect(seen).toEqual(['one', 'two']);
  });

  it('builds SDK user messages', () => {
    expect(userMessage('hi', 'u-1')).toEqual({
      type: 'user',
      message: { role: 'user', content: 'hi' },
      parent_tool_use_id: null,
      session_id: '',
      uuid: 'u-1',
    });
  });
});
