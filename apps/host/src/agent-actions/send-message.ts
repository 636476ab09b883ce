import type { AgentAction, Attachment } from '@nanoclaw/core';
import { adapterKey, type ChatRef, formatChatRef, parseChatRef, sameChat } from '../groups/index.js';
import { OutboundFileError } from '../media/outbound-file.js';
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

/**
 * Queues the text (and the files it names, copied out of the group folder) in the outbox; the key makes a re-run
 * of the same run send nothing twice.
 */
export async function sendMessage(
  scope: ActionScope,
  ctx: ActionContext,
  action: SendMessage,
  nextKey: () => string,
): Promise<unknown> {
  const paths = action.attachments ?? [];
  if (action.text.trim() === '' && paths.length === 0)
    throw new ActionError('send_message needs a text or attachments (or both); nothing was sent');
  const target = await authorizedTarget(scope, ctx, action.chat);
  const attachments = await spoolFiles(scope, target, paths, ctx.runId);
  // Taken only now: a refused send does not use up a key.
  const idempotencyKey = nextKey();
  const enqueued = await scope.deps.outbox
    .enqueue({
      channel: target.channel,
      accountId: target.accountId,
      chatId: target.chatId,
      ...(target.threadId === undefined ? {} : { threadId: target.threadId }),
      text: action.text,
      ...(attachments.length > 0 ? { attachments } : {}),
      idempotencyKey,
      groupId: scope.group.id,
    })
    .catch(async (error: unknown) => {
      await scope.deps.files?.release(attachments);
      throw error;
    });
  // A re-run of the same send: the stored message has its own copies.
  if (enqueued.duplicate) await scope.deps.files?.release(attachments);
  return {
    chat: formatChatRef(target),
    queued: true,
    duplicate: enqueued.duplicate,
    messageId: enqueued.row.id,
    ...(attachments.length > 0
      ? { files: attachments.map(({ name, mimeType, sizeBytes }) => ({ name, mimeType, sizeBytes })) }
      : {}),
  };
}

/** The named files, checked against the target channel and copied to the host's spool; refusals name the file. */
async function spoolFiles(
  scope: ActionScope,
  target: ChatRef,
  paths: readonly string[],
  runId: string,
): Promise<Attachment[]> {
  if (paths.length === 0) return [];
  const { files, adapters, registry } = scope.deps;
  if (!files) throw new ActionError('this host cannot send files; nothing was sent');
  try {
    return await files.spool({
      groupDir: registry.groupDir(scope.group.folder),
      paths,
      label: runId,
      channel: target.channel,
      limits: adapters?.get(adapterKey(target))?.limits,
    });
  } catch (error) {
    if (error instanceof OutboundFileError) throw new ActionError(error.message);
    throw error;
  }
}
