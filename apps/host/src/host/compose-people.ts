import type { ChannelAdapter, Logger } from '@nanoclaw/core';
import { type Approval, ApprovalStore, Approvals } from '../approvals/index.js';
import type { Outbox } from '../delivery/index.js';
import type { GroupRegistry, HostDb } from '../groups/index.js';
import { type AuditLog, createAuditLog, createPeople, type People } from '../people/index.js';
import { type AccessGate, createAccessGate } from '../routing/access-gate.js';
import type { Inbox } from '../routing/inbox.js';

export interface PeopleParts {
  audit: AuditLog;
  people: People;
  approvals: Approvals;
  gate: AccessGate;
}

export interface ComposePeopleOptions {
  db: HostDb;
  registry: GroupRegistry;
  outbox: Pick<Outbox, 'enqueue'>;
  inbox: Pick<Inbox, 'held' | 'settleHeld' | 'get'>;
  adapters: () => Iterable<ChannelAdapter>;
  /** Routes released messages again and hands out their turns. */
  reroute: (ids: number[]) => Promise<void>;
  /** Told when an approval is opened or decided. */
  onApprovalChange?: (approval: Approval) => void;
  logger: Logger;
}

/** Users and roles, the audit log, durable approvals and questions, and the access gate over them. */
export function composePeople(options: ComposePeopleOptions): PeopleParts {
  const audit = createAuditLog(options.db);
  const people = createPeople({ db: options.db, registry: options.registry, audit });
  const approvals = new Approvals({
    store: new ApprovalStore(options.db),
    people,
    audit,
    registry: options.registry,
    outbox: options.outbox,
    inbox: options.inbox,
    adapters: options.adapters,
    reroute: options.reroute,
    ...(options.onApprovalChange ? { onChange: options.onApprovalChange } : {}),
    logger: options.logger.child({ component: 'approvals' }),
  });
  const gate = createAccessGate({
    people,
    audit,
    requestAccess: (group, message) => approvals.requestAccess(group, message),
  });
  return { audit, people, approvals, gate };
}
