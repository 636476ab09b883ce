import type { ChatBinding, Logger } from '@nanoclaw/core';
import {
  type ConfigIssue,
  formatChatRef,
  formatConfigIssue,
  type GroupRegistry,
  type RegisteredGroup,
} from '../groups/index.js';
import { type AuditLog, senderUserId } from '../people/index.js';
import type { AccessGate } from './access-gate.js';
import type { Inbox } from './inbox.js';
import type { StoredInbound, StoredInboundStatus } from './stored-inbound.js';
import { type ContextReason, decideTrigger } from './trigger-decision.js';
import { chatOf, type Turn, turnOf } from './turn.js';

export type RouteOutcome =
  /** Enqueue `turn` in the group queue (priority interactive); its messages are `queued`. */
  | { kind: 'turn'; turn: Turn }
  /** Kept (status `context`) for the chat's next turn. */
  | { kind: 'context'; groupId: string; reason: ContextReason }
  /**
   * No group is bound to the chat (status `ignored`), or — for a channel whose bindings are rules — no bound rule
   * matches the message (`no-matching-rule`: status `dropped`, audited).
   */
  | { kind: 'ignored'; reason: 'unbound-chat' | 'no-matching-rule' }
  /**
   * The group cannot be served until its configuration is fixed; the message is kept as `context`.
   * `addressed`: it would have triggered, so the caller should tell the chat (rate-limited `reportFailure`).
   */
  | { kind: 'config-error'; groupId: string; folder: string; error: ConfigIssue; addressed: boolean }
  /** Routed before (a redelivery or a second call); nothing changed. */
  | { kind: 'already-routed'; status: StoredInboundStatus }
  /** A numbered reply that answered a card (status `answer`); no agent sees it. */
  | { kind: 'answer' }
  /** The group's access gate dropped it (status `dropped`); no agent sees it. */
  | { kind: 'dropped'; groupId: string }
  /** Held (status `held`) until access request `approvalId` is decided. */
  | { kind: 'held'; groupId: string; approvalId: string };

export interface RouteInboundOptions {
  inbox: Pick<Inbox, 'assign'>;
  registry: Pick<GroupRegistry, 'findBinding' | 'getById'>;
  assistantName: string;
  logger: Logger;
  /** Each group's access gate; absent: every group is public. */
  gate?: AccessGate;
  /** Numbered replies to cards (approvals, questions); absent: none are read. */
  answers?: { takeNumberedReply(message: StoredInbound): Promise<boolean> };
  /** Records mail dropped because no routing rule matched it; absent: only logged. */
  audit?: Pick<AuditLog, 'record'>;
}

/** Routes one stored `received` message: chat binding → group → trigger → turn or context. */
export async function routeInbound(
  options: RouteInboundOptions,
  stored: StoredInbound,
): Promise<RouteOutcome> {
  if (stored.status !== 'received') return { kind: 'already-routed', status: stored.status };
  const { inbox, registry, logger } = options;
  const chat = chatOf(stored.message);
  const binding = await findChatOrRuleBinding(registry, stored.message);
  if (await options.answers?.takeNumberedReply(stored)) {
    await inbox.assign(stored.id, { groupId: binding?.groupId ?? null, status: 'answer' });
    return { kind: 'answer' };
  }
  const group = binding ? await registry.getById(binding.groupId) : undefined;
  if ((!binding || !group) && stored.message.routeKeys !== undefined) return dropUnmatched(options, stored);
  if (!binding || !group) {
    await inbox.assign(stored.id, { groupId: null, status: 'ignored' });
    logger.info(
      { chat: formatChatRef(chat), messageId: stored.id },
      `message from unbound chat ${formatChatRef(chat)} ignored (bind it to a group to answer it)`,
    );
    return { kind: 'ignored', reason: 'unbound-chat' };
  }
  const gated = await applyGate(options, group, stored);
  if (gated) return gated;
  const decision = decideTrigger(stored.message, group, binding, options.assistantName);
  if (group.configError) {
    await inbox.assign(stored.id, { groupId: group.id, status: 'context' });
    logger.warn(
      { folder: group.folder, messageId: stored.id, configError: group.configError },
      `group "${group.folder}" has a configuration error; message kept: ${formatConfigIssue(group.configError)}`,
    );
    return {
      kind: 'config-error',
      groupId: group.id,
      folder: group.folder,
      error: group.configError,
      addressed: decision.trigger,
    };
  }
  if (!decision.trigger) {
    await inbox.assign(stored.id, { groupId: group.id, status: 'context' });
    return { kind: 'context', groupId: group.id, reason: decision.reason };
  }
  if (!(await inbox.assign(stored.id, { groupId: group.id, status: 'queued' }))) {
    return { kind: 'already-routed', status: 'queued' };
  }
  return { kind: 'turn', turn: turnOf(group.id, [stored]) };
}

/**
 * The binding of the message's own chat; else, for a channel whose bindings are routing rules (the message names
 * the rules it matches in `routeKeys`, e.g. Gmail's `from:<address>` and `label:<name>`), the binding of the first
 * of those rules that is bound. So every mail thread that matches a rule is a chat of the rule's group, with no
 * binding of its own.
 */
export async function findChatOrRuleBinding(
  registry: Pick<GroupRegistry, 'findBinding'>,
  message: StoredInbound['message'],
): Promise<ChatBinding | undefined> {
  const chat = chatOf(message);
  const own = await registry.findBinding(chat);
  if (own) return own;
  for (const key of message.routeKeys ?? []) {
    const rule = await registry.findBinding({
      channel: chat.channel,
      accountId: chat.accountId,
      chatId: key,
    });
    if (rule) return rule;
  }
  return undefined;
}

/** A message of a rule-routed channel that no bound rule matches: only bound senders are served; dropped, audited. */
async function dropUnmatched(options: RouteInboundOptions, stored: StoredInbound): Promise<RouteOutcome> {
  const { message } = stored;
  const chat = formatChatRef(chatOf(message));
  await options.inbox.assign(stored.id, { groupId: null, status: 'dropped' });
  await options.audit?.record({
    kind: 'gate',
    action: 'dropped',
    actor: senderUserId(message.channel, message.sender.id),
    detail: { messageId: stored.id, chat, reason: 'no-matching-rule', routeKeys: message.routeKeys ?? [] },
  });
  options.logger.info(
    { chat, messageId: stored.id },
    `message in ${chat} dropped: no routing rule of ${message.channel} matches it (bind one with groups add --chat from:<address>)`,
  );
  return { kind: 'ignored', reason: 'no-matching-rule' };
}

/** The group's access gate: undefined to go on, else the message was dropped or held. */
async function applyGate(
  options: RouteInboundOptions,
  group: RegisteredGroup,
  stored: StoredInbound,
): Promise<RouteOutcome | undefined> {
  const { inbox, logger } = options;
  const gate = (await options.gate?.check(group, stored)) ?? { kind: 'pass' };
  if (gate.kind === 'drop') {
    await inbox.assign(stored.id, { groupId: group.id, status: 'dropped' });
    logger.info(
      { folder: group.folder, messageId: stored.id },
      `message to "${group.folder}" dropped: the sender is not a member`,
    );
    return { kind: 'dropped', groupId: group.id };
  }
  if (gate.kind === 'hold' && options.gate) {
    await inbox.assign(stored.id, { groupId: group.id, status: 'held' });
    const approval = await options.gate.hold(group, stored);
    logger.info(
      { folder: group.folder, messageId: stored.id, approval: approval.id },
      `message to "${group.folder}" held for access request ${approval.id}`,
    );
    return { kind: 'held', groupId: group.id, approvalId: approval.id };
  }
  return undefined;
}

/** `routeInbound` with its dependencies bound. */
export function createInboundRouter(options: RouteInboundOptions) {
  return { route: (stored: StoredInbound) => routeInbound(options, stored) };
}

export type InboundRouter = ReturnType<typeof createInboundRouter>;
