import type { RegisteredGroup } from '../groups/index.js';
import type { AuditLog, People } from '../people/index.js';
import { senderUserId } from '../people/index.js';
import type { StoredInbound } from './stored-inbound.js';

/** What the access gate does with a message in a bound chat. */
export type GateDecision = { kind: 'pass' } | { kind: 'drop' } | { kind: 'hold' };

export interface AccessGateOptions {
  people: Pick<People, 'mayTalk'>;
  audit: Pick<AuditLog, 'record'>;
  /** Holds the message and asks an approver (one open request per person and group). */
  requestAccess(group: RegisteredGroup, message: StoredInbound): Promise<{ id: string }>;
}

export interface AccessGate {
  check(group: RegisteredGroup, message: StoredInbound): Promise<GateDecision>;
  /** After the message is stored as `held`: opens (or joins) the sender's access request. */
  hold(group: RegisteredGroup, message: StoredInbound): Promise<{ id: string }>;
}

/**
 * A group's access gate: `public` lets everyone through; `members` drops anyone who is not a member, admin or
 * owner (audited); `request` holds a stranger's message and asks an approver. Bots are never let in by a closed
 * gate (they cannot be approved). Triggers and sender allowlists apply after the gate.
 */
export function createAccessGate(options: AccessGateOptions): AccessGate {
  return {
    async check(group, stored) {
      if (group.access === 'public') return { kind: 'pass' };
      const { channel, sender } = stored.message;
      const user = senderUserId(channel, sender.id);
      if (sender.isBot !== true && (await options.people.mayTalk(user, group.id))) return { kind: 'pass' };
      if (group.access === 'request' && sender.isBot !== true) return { kind: 'hold' };
      await options.audit.record({
        kind: 'gate',
        action: 'dropped',
        groupId: group.id,
        actor: user,
        detail: { messageId: stored.id, access: group.access, bot: sender.isBot === true },
      });
      return { kind: 'drop' };
    },
    hold: (group, stored) => options.requestAccess(group, stored),
  };
}
