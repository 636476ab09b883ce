import { describe, expect, it } from 'vitest';
import { adapterKey, formatChatRef, localChatRef, parseChatRef, sameChat } from './chat-ref.js';

describe('chat references', () => {
  it('round-trips channel:account:chat, keeping colons in the chat id', () => {
    expect(parseChatRef('telegram:default:-100123')).toEqual({
      channel: 'telegram',
      accountId: 'default',
      chatId: '-100123',
    });
    expect(parseChatRef('matrix:bot:!room:example.org')?.chatId).toBe('!room:example.org');
    const ref = { channel: 'slack', accountId: 'w1', chatId: 'C9', threadId: 't' };
    expect(formatChatRef(ref)).toBe('slack:w1:C9');
    expect(adapterKey(ref)).toBe('slack:w1');
  });

  it.each(['', 'telegram', 'telegram:default', 'telegram:default:', ':default:1', 'telegram::1'])(
    'rejects %j',
    (value) => {
      expect(parseChatRef(value)).toBeNull();
    },
  );

  it('builds the implicit local chat and compares chats without threads', () => {
    expect(localChatRef('family')).toEqual({ channel: 'local', accountId: 'default', chatId: 'family' });
    expect(sameChat({ ...localChatRef('a'), threadId: 'x' }, localChatRef('a'))).toBe(true);
    expect(sameChat(localChatRef('a'), localChatRef('b'))).toBe(false);
  });
});
