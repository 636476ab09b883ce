import type { AgentAction } from '@nanoclaw/core';
import { formatChatRef, formatConfigIssue, parseChatRef } from '../groups/index.js';
import { ActionError, MAIN_ONLY } from './action-context.js';
import type { ActionScope } from './action-deps.js';

type RegisterGroup = Extract<AgentAction, { tool: 'register_group' }>;

/** Main group only; never creates a main group. */
export async function registerGroup(scope: ActionScope, action: RegisterGroup): Promise<unknown> {
  if (!scope.group.isMain) throw new ActionError(MAIN_ONLY('register groups'));
  const ref = action.chat === undefined ? undefined : parseChatRef(action.chat);
  if (ref === null) {
    throw new ActionError(`chat must be written "channel:account:chat", got ${JSON.stringify(action.chat)}`);
  }
  const group = await scope.deps.registry.add({
    folder: action.folder,
    name: action.name,
    isMain: false,
    ...(action.trigger === undefined ? {} : { trigger: action.trigger }),
    ...(ref === undefined ? {} : { chat: { ref } }),
  });
  return {
    folder: group.folder,
    name: group.name,
    trigger: group.trigger,
    chat: ref === undefined ? null : formatChatRef(ref),
  };
}

/** Main group only: every group and every bound chat. */
export async function listChats(scope: ActionScope): Promise<unknown> {
  if (!scope.group.isMain) throw new ActionError(MAIN_ONLY('list chats and groups'));
  const groups = await scope.deps.registry.list();
  const bindings = await scope.deps.registry.listBindings();
  const folderOf = new Map(groups.map((g) => [g.id, g.folder]));
  return {
    groups: groups.map((g) => ({
      folder: g.folder,
      name: g.name,
      isMain: g.isMain,
      configError: g.configError === null ? null : formatConfigIssue(g.configError),
    })),
    chats: bindings.map((b) => ({
      chat: formatChatRef(b),
      name: b.name,
      folder: folderOf.get(b.groupId) ?? null,
    })),
  };
}
