import { ChannelError } from '@nanoclaw/channel-registry';
import type { Api } from 'grammy';
import { isChatUnreachable, toChannelError } from './errors.js';

/**
 * The bot's private chat with a Telegram user: its id is the user's id, but the bot may only write there once the
 * user has started the bot. getChat tells: Telegram answers "chat not found" (or 403) for a user who never did,
 * which rejects permanently; a chat that is not private (a group id) is refused too.
 */
export async function openDirectChat(api: Api, userId: string): Promise<string> {
  let chat: Awaited<ReturnType<Api['getChat']>>;
  try {
    chat = await api.getChat(userId);
  } catch (error) {
    if (isChatUnreachable(error)) {
      throw new ChannelError(
        `telegram: the user ${userId} has not started a chat with the bot (they open it and press Start)`,
        { permanent: true, cause: error },
      );
    }
    throw toChannelError(error, 'getChat');
  }
  if (chat.type !== 'private')
    throw new ChannelError(`telegram: ${userId} is a ${chat.type} chat, not a user`, { permanent: true });
  return String(chat.id);
}
