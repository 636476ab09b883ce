/** One chat on one account of one channel; `threadId` narrows it to a thread. */
export interface ChatRef {
  channel: string;
  accountId: string;
  chatId: string;
  threadId?: string;
}

/** The local channel (HTTP/CLI): chat `local:default:<folder>` is bound to that group without a binding row. */
export const LOCAL_CHANNEL = 'local';
export const LOCAL_ACCOUNT = 'default';

/** `channel:account:chat`. The thread is not part of it. */
export function formatChatRef(ref: ChatRef): string {
  return `${ref.channel}:${ref.accountId}:${ref.chatId}`;
}

/**
 * Parses `channel:account:chat`. Channel and account never contain `:`; the chat id is everything after the
 * second one (platform ids such as Matrix room ids may contain `:`). Null when malformed.
 */
export function parseChatRef(value: string): ChatRef | null {
  const first = value.indexOf(':');
  const second = first < 0 ? -1 : value.indexOf(':', first + 1);
  if (first <= 0 || second <= first + 1 || second === value.length - 1) return null;
  return {
    channel: value.slice(0, first),
    accountId: value.slice(first + 1, second),
    chatId: value.slice(second + 1),
  };
}

/** The key adapters are registered under: `channel:account`. */
export function adapterKey(ref: Pick<ChatRef, 'channel' | 'accountId'>): string {
  return `${ref.channel}:${ref.accountId}`;
}

/** A chat's address fields for an outbound message (no `threadId` key when there is no thread). */
export function outboundAddress(chat: ChatRef): ChatRef {
  return {
    channel: chat.channel,
    accountId: chat.accountId,
    chatId: chat.chatId,
    ...(chat.threadId !== undefined ? { threadId: chat.threadId } : {}),
  };
}

export function localChatRef(folder: string): ChatRef {
  return { channel: LOCAL_CHANNEL, accountId: LOCAL_ACCOUNT, chatId: folder };
}

export function sameChat(a: ChatRef, b: ChatRef): boolean {
  return a.channel === b.channel && a.accountId === b.accountId && a.chatId === b.chatId;
}
