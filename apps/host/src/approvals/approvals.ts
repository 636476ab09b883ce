import type { CardAction, CardActionResult, ChannelAdapter, Logger } from '@nanoclaw/core';
import { errorMessage } from '@nanoclaw/core';
import { parseNumberedReply } from '../delivery/card-fallback.js';
import type { Outbox } from '../delivery/index.js';
import { type ChatRef, formatChatRef, type GroupRegistry, type RegisteredGroup } from '../groups/index.js';
import { type AuditLog, type People, PeopleError, senderUserId } from '../people/index.js';
import type { Inbox } from '../routing/inbox.js';
import type { StoredInbound } from '../routing/stored-inbound.js';
import type { Approval, ApprovalStore, CardDestination, Decision } from './approval-store.js';
import { routeToApprover } from './approver-route.js';
import { encodeCardData, newApprovalId, parseCardData } from './card-data.js';
import { QuestionWaiters } from './question-waiters.js';

/** How long an access request waits for a decision (its held messages are dropped after). */
export const ACCESS_REQUEST_TTL_MS = 24 * 60 * 60 * 1000;
const ACCESS_OPTIONS = ['Approve', 'Reject'];

export interface ApprovalsOptions {
  store: ApprovalStore;
  people: People;
  audit: AuditLog;
  registry: Pick<GroupRegistry, 'getById'>;
  outbox: Pick<Outbox, 'enqueue'>;
  inbox: Pick<Inbox, 'held' | 'settleHeld'>;
  /** The running channel adapters (to open approvers' direct chats). */
  adapters: () => Iterable<ChannelAdapter>;
  /** Routes messages released by an approval again (they are `received`). */
  reroute: (ids: number[]) => Promise<void>;
  /** Told (synchronously; a throw is logged) when an approval is opened or decided. */
  onChange?: (approval: Approval) => void;
  logger: Logger;
  now?: () => number;
}

export interface AskInput {
  group: RegisteredGroup;
  chat: ChatRef;
  question: string;
  options: string[];
  timeoutMs: number;
  /** The only user who may answer (the sender of the message the run answers); null: anyone in the chat. */
  askedUser: string | null;
  runId: string;
}

export type QuestionOutcome =
  | { answered: true; option: number; label: string; by: string }
  | { answered: false; reason: 'timeout' | 'cancelled' };

/** Who decided, for the audit log: a user id, `cli` or `api`. */
export type Actor = string;

/**
 * Durable approvals and questions: created in the database, delivered as a card (buttons where the platform has
 * them, else a numbered list), decided once by a tap, a numbered reply, `nanoclaw approvals` or the HTTP API,
 * and audited. Everything survives a restart except a waiting question's run (which a restart ends).
 */
export class Approvals {
  readonly #o: ApprovalsOptions;
  readonly #store: ApprovalStore;
  readonly #now: () => number;
  readonly #waiters: QuestionWaiters;
  #timer: NodeJS.Timeout | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: ApprovalsOptions) {
    this.#o = options;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#waiters = new QuestionWaiters();
  }

  get store(): ApprovalStore {
    return this.#store;
  }

  /** At start: questions left pending by the last run end (their runs are gone); undelivered requests are sent. */
  async start(): Promise<void> {
    for (const approval of await this.#store.list({ status: 'pending' })) {
      if (approval.kind === 'question')
        await this.#finish(approval, { status: 'cancelled', by: 'host', decision: null });
      else if (!approval.deliveredTo)
        await this.#deliverAccess(approval, approval.subject?.split(':')[0] ?? '');
    }
    await this.#sweep();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#waiters.cancelAll();
  }

  /** Holds a stranger's message: one pending request per person and group, its card sent to an approver. */
  async requestAccess(group: RegisteredGroup, message: StoredInbound): Promise<Approval> {
    const { sender, channel, text } = message.message;
    const subject = senderUserId(channel, sender.id);
    const open = await this.#store.pendingAccess(group.id, subject);
    await this.#o.audit.record({
      kind: 'gate',
      action: 'held',
      groupId: group.id,
      actor: subject,
      subject: open?.id ?? null,
      detail: { messageId: message.id, chat: formatChatRef(message.message) },
    });
    if (open) return open;
    const who = sender.name ? `${sender.name} (${subject})` : subject;
    const approval = await this.#store.insert({
      id: newApprovalId(),
      kind: 'access-request',
      groupId: group.id,
      question: `🔐 ${who} wants to talk to the agent of "${group.name}" (${group.folder}) in ${formatChatRef(message.message)}:\n“${excerpt(text)}”\nApprove to make them a member of ${group.folder}; reject to drop their messages.`,
      options: ACCESS_OPTIONS,
      subject,
      requestedBy: subject,
      askedUser: null,
      payload: { folder: group.folder },
      createdAt: this.#now(),
      expiresAt: this.#now() + ACCESS_REQUEST_TTL_MS,
    });
    this.#changed(approval);
    await this.#deliverAccess(approval, channel);
    this.#schedule(approval.expiresAt);
    return approval;
  }

  /** Shows an agent's question in the run's chat and waits for the answer, the timeout, or the host stopping. */
  async ask(input: AskInput): Promise<QuestionOutcome> {
    const approval = await this.#store.insert({
      id: newApprovalId(),
      kind: 'question',
      groupId: input.group.id,
      question: `❓ ${input.question}`,
      options: input.options,
      subject: null,
      requestedBy: `agent:${input.group.folder}`,
      askedUser: input.askedUser,
      payload: { runId: input.runId, folder: input.group.folder },
      createdAt: this.#now(),
      expiresAt: this.#now() + input.timeoutMs,
    });
    this.#changed(approval);
    await this.#o.audit.record({
      kind: 'question',
      action: 'asked',
      groupId: input.group.id,
      actor: approval.requestedBy,
      subject: approval.id,
      detail: { question: input.question, options: input.options, askedUser: input.askedUser },
    });
    const outcome = this.#waiters.wait(approval.id);
    await this.#sendCard(approval, input.chat);
    this.#schedule(approval.expiresAt);
    return outcome;
  }

  /** `nanoclaw approvals approve|reject <id>` and the HTTP API: the operator decides (audited as `actor`). */
  async decide(id: string, choice: 'approve' | 'reject' | number, actor: Actor): Promise<Approval> {
    const approval = await this.#store.get(id);
    if (!approval) throw new PeopleError('not-found', `no approval ${id} (see nanoclaw approvals list)`);
    if (approval.status !== 'pending') throw new PeopleError('conflict', alreadyDecided(approval));
    const option = typeof choice === 'number' ? choice : choice === 'approve' ? 1 : 2;
    if (typeof choice !== 'number' && approval.kind === 'question') {
      throw new PeopleError(
        'invalid',
        `${id} is a question: answer it with --option <n> (1–${approval.options.length})`,
      );
    }
    if (!Number.isInteger(option) || option < 1 || option > approval.options.length) {
      throw new PeopleError('invalid', `option must be 1–${approval.options.length} for ${id}`);
    }
    const decided = await this.#choose(approval, option, actor);
    if (!decided) throw new PeopleError('conflict', alreadyDecided((await this.#store.get(id)) ?? approval));
    return decided;
  }

  /** A tap on a card's button: every check, then the decision; the text goes to the tapper only. */
  async handleTap(action: CardAction): Promise<CardActionResult> {
    const named = parseCardData(action.data);
    const approval = named ? await this.#store.get(named.approvalId) : undefined;
    const tapper = senderUserId(action.channel, action.user.id);
    const refuse = async (reason: string, text: string): Promise<CardActionResult> => {
      await this.#o.audit.record({
        kind: approval?.kind === 'question' ? 'question' : 'approval',
        action: 'refused',
        groupId: approval?.groupId ?? null,
        actor: tapper,
        subject: approval?.id ?? null,
        detail: { reason, data: action.data.slice(0, 64), chat: formatChatRef(action) },
      });
      return { accepted: false, text };
    };
    if (!named || !approval)
      return refuse(
        'unknown-card',
        'This button does not belong to a request of this host; nothing changed.',
      );
    if (!sameChat(approval.deliveredTo, action))
      return refuse('wrong-chat', 'This card was not sent to this chat; nothing changed.');
    if (approval.status !== 'pending') return refuse('replay', alreadyDecided(approval));
    if (approval.expiresAt <= this.#now()) {
      await this.#expire(approval);
      return refuse(
        'expired',
        `This request expired at ${new Date(approval.expiresAt).toISOString()}; nothing changed.`,
      );
    }
    if (named.option < 1 || named.option > approval.options.length)
      return refuse('bad-option', 'That option does not exist; nothing changed.');
    if (action.user.isBot === true || !(await this.#mayDecide(approval, tapper))) {
      return refuse('not-allowed', 'You are not the person asked; nothing changed.');
    }
    const decided = await this.#choose(approval, named.option, tapper);
    if (!decided) return refuse('replay', alreadyDecided((await this.#store.get(approval.id)) ?? approval));
    return { accepted: true, text: outcomeText(decided) };
  }

  /**
   * A message that answers a numbered card in its chat (`1`, `2`, …) by the person asked: decided and consumed
   * (true), so it never reaches an agent. Any other message: false.
   */
  async takeNumberedReply(message: StoredInbound): Promise<boolean> {
    const option = parseNumberedReply(message.message.text);
    if (option === undefined || message.message.sender.isBot === true) return false;
    const user = senderUserId(message.message.channel, message.message.sender.id);
    for (const approval of await this.#store.pendingIn(message.message)) {
      if (option > approval.options.length || approval.expiresAt <= this.#now()) continue;
      if (!(await this.#mayDecide(approval, user))) continue;
      const decided = await this.#choose(approval, option, user);
      if (!decided) continue;
      await this.#notify(decided, message.message, `${outcomeText(decided)}`, 'reply');
      return true;
    }
    return false;
  }

  async #mayDecide(approval: Approval, user: string): Promise<boolean> {
    if (approval.kind === 'access-request') return this.#o.people.mayApprove(user, approval.groupId);
    if (approval.askedUser === null) return true;
    if (approval.askedUser === user) return true;
    const asked = await this.#o.people.get(approval.askedUser);
    return asked?.linked.includes(user) ?? false;
  }

  /** Settles the approval with this option (from 1) and carries out what it means. Undefined if it was not pending. */
  async #choose(approval: Approval, option: number, actor: Actor): Promise<Approval | undefined> {
    const label = approval.options[option - 1] ?? null;
    const status: Decision['status'] =
      approval.kind === 'question' ? 'answered' : option === 1 ? 'approved' : 'rejected';
    return this.#finish(approval, { status, by: actor, decision: label });
  }

  #changed(approval: Approval): void {
    try {
      this.#o.onChange?.(approval);
    } catch (error) {
      this.#o.logger.warn({ err: error, approval: approval.id }, 'an approval change listener failed');
    }
  }

  async #finish(approval: Approval, decision: Omit<Decision, 'at'>): Promise<Approval | undefined> {
    const decided = await this.#store.settle(approval.id, { ...decision, at: this.#now() });
    if (!decided) return undefined;
    this.#changed(decided);
    await this.#o.audit.record({
      kind: approval.kind === 'question' ? 'question' : 'approval',
      action: decided.status,
      groupId: decided.groupId,
      actor: decision.by,
      subject: decided.id,
      detail: {
        decision: decided.decision,
        about: decided.subject,
        question: decided.question.slice(0, 500),
      },
    });
    if (decided.kind === 'access-request') await this.#afterAccess(decided);
    else this.#waiters.settle(decided);
    return decided;
  }

  /** Approved: the person becomes a member and their held messages are routed again. Otherwise they are dropped. */
  async #afterAccess(approval: Approval): Promise<void> {
    if (!approval.groupId || !approval.subject) return;
    const [channel, ...rest] = approval.subject.split(':');
    const held = await this.#o.inbox.held(approval.groupId, {
      channel: channel ?? '',
      senderId: rest.join(':'),
    });
    const ids = held.map((m) => m.id);
    if (approval.status === 'approved') {
      const group = await this.#o.registry.getById(approval.groupId);
      if (group) {
        await this.#o.people.add({
          userId: approval.subject,
          role: 'member',
          group: group.folder,
          actor: approval.decidedBy ?? 'host',
        });
      }
      await this.#o.reroute(await this.#o.inbox.settleHeld(ids, 'received'));
    } else {
      await this.#o.inbox.settleHeld(ids, 'rejected');
    }
    if (approval.deliveredTo && approval.status !== 'expired') {
      await this.#notify(approval, approval.deliveredTo, outcomeText(approval), 'decided');
    }
  }

  async #deliverAccess(approval: Approval, preferPlatform: string): Promise<void> {
    const to = await routeToApprover(
      { people: this.#o.people, adapters: this.#o.adapters, logger: this.#o.logger },
      approval.groupId,
      preferPlatform,
    );
    if (!to) {
      this.#o.logger.warn(
        { approval: approval.id },
        `access request ${approval.id}: no approver can be reached in a direct chat; decide it with nanoclaw approvals approve|reject ${approval.id}`,
      );
      await this.#o.audit.record({
        kind: 'approval',
        action: 'undelivered',
        groupId: approval.groupId,
        actor: 'host',
        subject: approval.id,
      });
      return;
    }
    await this.#sendCard(approval, to);
  }

  async #sendCard(approval: Approval, to: CardDestination): Promise<void> {
    await this.#store.setDelivered(approval.id, to);
    await this.#o.outbox.enqueue({
      channel: to.channel,
      accountId: to.accountId,
      chatId: to.chatId,
      ...(to.threadId === undefined ? {} : { threadId: to.threadId }),
      groupId: approval.groupId,
      idempotencyKey: `approval:${approval.id}`,
      text: `${approval.question}\n(request ${approval.id})`,
      buttons: approval.options.map((label, index) => ({
        label,
        data: encodeCardData(approval.id, index + 1),
      })),
    });
    await this.#o.audit.record({
      kind: approval.kind === 'question' ? 'question' : 'approval',
      action: 'sent',
      groupId: approval.groupId,
      actor: 'host',
      subject: approval.id,
      detail: { to: formatChatRef(to), user: to.userId ?? null },
    });
  }

  async #notify(approval: Approval, chat: ChatRef, text: string, what: string): Promise<void> {
    try {
      await this.#o.outbox.enqueue({
        channel: chat.channel,
        accountId: chat.accountId,
        chatId: chat.chatId,
        groupId: approval.groupId,
        idempotencyKey: `approval:${approval.id}:${what}`,
        text,
      });
    } catch (error) {
      this.#o.logger.warn(
        { approval: approval.id, error: errorMessage(error) },
        'could not send the decision note',
      );
    }
  }

  async #expire(approval: Approval): Promise<void> {
    await this.#finish(approval, { status: 'expired', by: 'host', decision: null });
  }

  /** Expires what is due, then sleeps until the next expiry (at most a minute, so a clock jump is caught). */
  async #sweep(): Promise<void> {
    if (this.#stopped) return;
    for (const approval of await this.#store.due(this.#now())) await this.#expire(approval);
    const next = await this.#store.nextExpiry();
    this.#schedule(next, true);
  }

  /** Wakes the sweep at `at` (at most a minute away), unless it is already due to wake sooner. */
  #schedule(at: number | undefined, replace = false): void {
    if (this.#stopped) return;
    const wait = Math.min(Math.max((at ?? Number.POSITIVE_INFINITY) - this.#now(), 50), 60_000);
    const wakeAt = this.#now() + wait;
    if (this.#timer && !replace && this.#wakeAt <= wakeAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wakeAt = wakeAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sweep().catch((error: unknown) => {
        this.#o.logger.error({ err: error }, 'expiring approvals failed; trying again in a minute');
        this.#schedule(this.#now() + 60_000, true);
      });
    }, wait);
    this.#timer.unref();
  }
}

function sameChat(to: CardDestination | null, chat: ChatRef): boolean {
  return (
    to !== null && to.channel === chat.channel && to.accountId === chat.accountId && to.chatId === chat.chatId
  );
}

function alreadyDecided(approval: Approval): string {
  if (approval.status === 'expired') return `Request ${approval.id} expired; nothing changed.`;
  if (approval.status === 'cancelled') return `Request ${approval.id} was cancelled; nothing changed.`;
  const when = approval.decidedAt === null ? '' : ` at ${new Date(approval.decidedAt).toISOString()}`;
  return `Request ${approval.id} was already ${approval.status} by ${approval.decidedBy ?? 'someone'}${when}; nothing changed.`;
}

function outcomeText(approval: Approval): string {
  const folder = String(approval.payload.folder ?? '');
  switch (approval.status) {
    case 'approved':
      return `✓ Approved by ${approval.decidedBy}: ${approval.subject} is now a member of ${folder}.`;
    case 'rejected':
      return `✗ Rejected by ${approval.decidedBy}: ${approval.subject}'s messages to ${folder} are dropped.`;
    case 'answered':
      return `✓ Answer recorded: ${approval.decision}`;
    default:
      return alreadyDecided(approval);
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= 300 ? flat : `${flat.slice(0, 299)}…`;
}
