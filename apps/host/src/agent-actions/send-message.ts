import type { AgentAction } from '@nanoclaw/core';
import { type ChatRef, formatChatRef, parseChatRef, sameChat } from '../groups/index.js';
import { type ActionContext, ActionError } from './action-context.js';
import type { ActionScope } from './action-deps.js';

type SendMessage = Extract<AgentAction, { tool: 'send_message' }>;

/**
 * The run's own chat is always allowed. Another chat must be registered (bound to a group, or a group's local
 * chat); a non-main group may only use chats bound to itself.
 */
async function authorizedTarget(
  scope: ActionScope,
  ctx: ActionContext,
  chat: string | undefined,
): Promise<ChatRef> {
  if (chat === undefined) {
    if (!ctx.chat) throw new ActionError('this run answers no chat; name one as "channel:account:chat"');
    return ctx.chat;
  }
  const target = parseChatRef(chat);
  if (!target)
    throw new ActionError(`chat must be written "channel:account:chat", got ${JSON.stringify(chat)}`);
  if (ctx.chat && sameChat(target, ctx.chat)) return ctx.chat;
  const binding = await scope.deps.registry.findBinding(target);
  if (scope.group.isMain) {
    if (!binding) throw new ActionError(`chat ${formatChatRef(target)} is not registered with any group`);
  } else if (binding?.groupId !== scope.group.id) {
    throw new ActionError(
      `chat ${formatChatRef(target)} is not one of this group's chats; only the main group can message other chats`,
    );
  }
  return target;
}

/** Queues the text in the outbox; the key makes a re-run of the same run send nothing twice. */
export async function sendMessage(
  scope: ActionScope,
  ctx: ActionContext,
  action: SendMessage,
  nextKey: () => string,
): Promise<unknown> {
  const target = await authorizedTarget(scope, ctx, action.chat);
  const { row, duplicate } = await scope.deps.outbox.enqueue({
    channel: target.channel,
    accountId: target.accountId,
    chatId: target.chatId,
    ...(target.threadId === undefined ? {} : { threadId: target.threadId }),
    text: action.text,
    idempotencyKey: nextKey(),
    groupId: scope.group.id,
  });
  return { chat: formatChatRef(target), queued: true, duplicate, messageId: row.id };
}
