import type { Attachment, ChannelHost, InboundMessageInput, Logger } from '@nanoclaw/core';
import { httpFailure } from './errors.js';
import type { GmailApi } from './gmail-api.js';
import { type AutomaticMailReason, automaticMailReason, headerMap } from './mail-filters.js';
import { type Labels, markHandled } from './mailbox.js';
import { type ParsedMail, parseMail } from './parse-mail.js';
import { fromIsAuthenticated } from './sender-auth.js';

export const GMAIL_CHANNEL = 'gmail';

/** System labels that say nothing about routing (user labels become `label:<name>` route keys). */
const SYSTEM_LABEL = /^(?:INBOX|UNREAD|STARRED|IMPORTANT|SENT|DRAFT|SPAM|TRASH|CHAT|CATEGORY_[A-Z]+)$/;

export interface InboundContext {
  api: GmailApi;
  host: ChannelHost;
  accountId: string;
  /** The account's own address, lower-case. */
  email: string;
  labels: Labels;
  maxAttachmentBytes: number;
  /** Remembers a notice for the next reply in a thread (an attachment that was over the limit). */
  addNotice(threadId: string, notice: string): Promise<void>;
  logger: Logger;
}

/** What became of one added message. */
export type InboundOutcome =
  | 'delivered'
  | 'not-served'
  | 'already-handled'
  | 'gone'
  | 'own-mail'
  | AutomaticMailReason;

/**
 * One added message: skipped when already labelled handled or sent by the account itself; automatic, bulk and
 * no-reply mail never reaches the host (it is never answered) and is left as it is; anything else is read raw,
 * cleaned (HTML → text, quoted history and signature cut, size capped) and handed to `host.receive`. Only after
 * that resolves, and only when a group serves it, is the mail labelled and marked read (a crash before reads it
 * again; mail no group serves stays unread and unlabelled in the person's inbox).
 */
export async function handleAddedMessage(ctx: InboundContext, messageId: string): Promise<InboundOutcome> {
  const { api, labels } = ctx;
  const full = await getOrGone(() =>
    api.users.messages.get({ userId: 'me', id: messageId, format: 'full' }).then((r) => r.data),
  );
  if (!full?.threadId) return 'gone';
  const labelIds = full.labelIds ?? [];
  if (labelIds.includes(labels.handledId)) return 'already-handled';
  if (labelIds.includes('SENT') || labelIds.includes('DRAFT')) return 'own-mail';
  const headers = headerMap(full.payload?.headers ?? []);
  const reason = automaticMailReason(headers, ctx.email);
  if (reason) {
    ctx.logger.info({ messageId, reason }, `gmail mail ${messageId} not answered (${reason})`);
    return reason;
  }
  const raw = await getOrGone(() =>
    api.users.messages.get({ userId: 'me', id: messageId, format: 'raw' }).then((r) => r.data.raw),
  );
  if (!raw) return 'gone';
  const mail = await parseMail(Buffer.from(raw, 'base64url'));
  const message = await toInbound(ctx, {
    id: messageId,
    threadId: full.threadId,
    labelIds,
    mail,
    internalDate: full.internalDate,
    authenticated: fromIsAuthenticated(headers),
  });
  const received = await ctx.host.receive(message.input);
  if (received.ignored) return 'not-served';
  if (message.oversized.length > 0)
    await ctx.addNotice(full.threadId, oversizeNotice(message.oversized, ctx));
  await markHandled(api, labels, messageId);
  return 'delivered';
}

interface MailInput {
  id: string;
  threadId: string;
  labelIds: readonly string[];
  mail: ParsedMail;
  internalDate: string | null | undefined;
  /** Whether Gmail vouches for the From address (DMARC, DKIM or SPF of its domain): see `fromIsAuthenticated`. */
  authenticated: boolean;
}

async function toInbound(
  ctx: InboundContext,
  { id, threadId, labelIds, mail, internalDate, authenticated }: MailInput,
): Promise<{ input: InboundMessageInput; oversized: ParsedMail['attachments'] }> {
  const address = mail.from?.address ?? 'unknown@invalid';
  // A From: Gmail does not vouch for is not that person: no `from:` rule and no role of theirs applies to it.
  const from = authenticated ? address : `unverified:${address}`;
  if (!authenticated) ctx.logger.warn({ messageId: id }, `gmail mail ${id}: its From: is not authenticated`);
  const within = mail.attachments.filter((a) => a.sizeBytes <= ctx.maxAttachmentBytes);
  const oversized = mail.attachments.filter((a) => a.sizeBytes > ctx.maxAttachmentBytes);
  const attachments: Attachment[] = within.map((a) => ({
    name: a.name.slice(0, 255),
    mimeType: a.mimeType,
    sizeBytes: a.sizeBytes,
    ref: `${id}:${a.index}`,
  }));
  const starter = mail.references.length === 0 && mail.subject.trim() !== '';
  const notes = oversized.map(
    (a) =>
      `[attachment ${a.name} (${megabytes(a.sizeBytes)}) not read: over the ${megabytes(ctx.maxAttachmentBytes)} limit]`,
  );
  const text = [starter ? `[Subject: ${mail.subject.trim()}]` : '', mail.text, ...notes]
    .filter((p) => p !== '')
    .join('\n\n');
  if (labelIds.some((l) => !ctx.labels.nameOf(l))) await ctx.labels.refresh();
  const labelKeys = labelIds
    .filter((l) => !SYSTEM_LABEL.test(l) && l !== ctx.labels.handledId)
    .flatMap((l) => {
      const name = ctx.labels.nameOf(l);
      return name ? [`label:${name}`] : [];
    });
  const sentAt = mail.date ?? (internalDate ? new Date(Number(internalDate)) : new Date());
  const input: InboundMessageInput = {
    channel: GMAIL_CHANNEL,
    accountId: ctx.accountId,
    chatId: threadId,
    platformMessageId: id,
    sender: {
      id: from,
      ...(mail.from?.name
        ? { name: `${mail.from.name.slice(0, 240)}${authenticated ? '' : ' (unverified)'}` }
        : {}),
    },
    text,
    sentAt: sentAt.toISOString(),
    // Mail to the assistant is addressed to it; only a Cc leaves it a bystander (kept as context).
    mentionsAssistant: mail.to.includes(ctx.email) || !mail.cc.includes(ctx.email),
    routeKeys: [...(authenticated ? [`from:${address}`] : []), ...labelKeys],
    ...(attachments.length > 0 ? { attachments } : {}),
  };
  return { input, oversized };
}

function oversizeNotice(oversized: ParsedMail['attachments'], ctx: InboundContext): string {
  const names = oversized.map((a) => `${a.name} (${megabytes(a.sizeBytes)})`).join(', ');
  return `Note: your attachment ${names} was not read: attachments over ${megabytes(ctx.maxAttachmentBytes)} are not accepted. Please send a smaller file or paste the relevant part.`;
}

export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}

/** The result, or undefined when Gmail answers 404 (the mail was deleted meanwhile). */
async function getOrGone<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (error) {
    if (httpFailure(error)?.status === 404) return undefined;
    throw error;
  }
}
