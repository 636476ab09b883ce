import type { ChatBinding, InboundMessage } from '@nanoclaw/core';
import { assistantTrigger, compileTrigger, type RegisteredGroup } from '../groups/index.js';

/** Why a message in a bound chat is kept as context instead of starting a turn. */
export type ContextReason = 'no-trigger' | 'sender-not-allowed' | 'from-bot';

export type TriggerDecision = { trigger: true } | { trigger: false; reason: ContextReason };

type GroupTriggerInfo = Pick<RegisteredGroup, 'isMain' | 'trigger' | 'containerConfig'>;

/**
 * Whether a message starts a turn. Bots never trigger (no reply loops); a sender outside the chat's allowlist
 * never triggers; the main group needs no trigger; otherwise the platform mention, or the group's `trigger`
 * (stored, else `container.json`), else `@<ASSISTANT_NAME>` as a whole word in any case. A group trigger that
 * does not compile falls back to `@<ASSISTANT_NAME>` here; the registry reports it as the group's config error.
 */
export function decideTrigger(
  message: InboundMessage,
  group: GroupTriggerInfo,
  binding: Pick<ChatBinding, 'senderAllowlist'>,
  assistantName: string,
): TriggerDecision {
  if (message.sender.isBot) return { trigger: false, reason: 'from-bot' };
  if (binding.senderAllowlist !== null && !binding.senderAllowlist.includes(message.sender.id)) {
    return { trigger: false, reason: 'sender-not-allowed' };
  }
  if (group.isMain || message.mentionsAssistant === true) return { trigger: true };
  return triggerPattern(group, assistantName).test(message.text)
    ? { trigger: true }
    : { trigger: false, reason: 'no-trigger' };
}

export function triggerPattern(
  group: Pick<GroupTriggerInfo, 'trigger' | 'containerConfig'>,
  assistantName: string,
) {
  const source = group.trigger ?? group.containerConfig?.trigger;
  const compiled = source === undefined || source === null ? undefined : compileTrigger(source);
  return compiled?.ok ? compiled.regex : assistantTrigger(assistantName);
}

/** How a group's trigger reads in `status`: its own pattern, `@<ASSISTANT_NAME>`, or `(none: main group)`. */
export function describeTrigger(
  group: Pick<GroupTriggerInfo, 'isMain' | 'trigger' | 'containerConfig'>,
  assistantName: string,
): string {
  if (group.isMain) return '(none: main group)';
  return group.trigger ?? group.containerConfig?.trigger ?? `@${assistantName}`;
}
