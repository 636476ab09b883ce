import type { ChannelHost, Logger } from '@nanoclaw/core';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { handleCallbackQuery } from './cards.js';
import { type TelegramBotIdentity, toInboundMessage } from './map-message.js';

export interface UpdateContext {
  api: Api;
  host: ChannelHost;
  accountId: string;
  bot: TelegramBotIdentity;
  logger: Logger;
}

/**
 * One update from the poll: a message goes to `host.receive`, a button tap to `host.receiveAction` (and its answer
 * to the tapper). Resolves once the host has it, so the poll loop may move the offset past it.
 */
export async function handleUpdate(context: UpdateContext, update: Update): Promise<void> {
  if (update.callback_query) return handleCallbackQuery(context, update.callback_query);
  if (!update.message) return;
  const inbound = toInboundMessage(update.message, context);
  if (!inbound) return;
  const { duplicate } = await context.host.receive(inbound);
  if (duplicate)
    context.logger.debug(
      { chatId: inbound.chatId, id: inbound.platformMessageId },
      'telegram duplicate update',
    );
}
