import { type ChatRef, MAIN_SESSION_KEY, threadSessionKey } from '../groups/index.js';
import type { StoredInbound } from './stored-inbound.js';

/**
 * One unit of interactive work for a group: the message ids the agent answers in one run, the chat the answer
 * goes to, and the session it runs in. The caller enqueues it in the group queue with priority `interactive`.
 */
export interface Turn {
  groupId: string;
  /** Where the reply goes (with the thread, when the messages were in one). */
  chat: ChatRef;
  /** Ascending. */
  messageIds: number[];
  /** `main`, or the thread's session key. */
  sessionKey: string;
}

export function chatOf(message: StoredInbound['message']): ChatRef {
  const ref: ChatRef = { channel: message.channel, accountId: message.accountId, chatId: message.chatId };
  if (message.threadId !== undefined) ref.threadId = message.threadId;
  return ref;
}

export function sessionKeyFor(chat: ChatRef): string {
  return chat.threadId === undefined
    ? MAIN_SESSION_KEY
    : threadSessionKey({ ...chat, threadId: chat.threadId });
}

export function turnOf(groupId: string, messages: readonly StoredInbound[]): Turn {
  const first = messages[0];
  if (!first) throw new Error('a turn needs at least one message');
  const chat = chatOf(first.message);
  return {
    groupId,
    chat,
    messageIds: messages.map((m) => m.id).sort((a, b) => a - b),
    sessionKey: sessionKeyFor(chat),
  };
}
