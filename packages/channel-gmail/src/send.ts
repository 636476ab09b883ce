import type { gmail_v1 } from '@googleapis/gmail';
import { ChannelError, readAttachmentFile } from '@nanoclaw/channel-registry';
import type { OutboundMessage, SendResult } from '@nanoclaw/core';
import { composeMail, replySubject } from './compose-mail.js';
import { toChannelError } from './errors.js';
import type { GmailApi } from './gmail-api.js';
import { megabytes } from './inbound.js';
import { addressOf, automaticMailReason, headerMap, type MailHeaders } from './mail-filters.js';

/** Carries the outbox's idempotency key, so a retry after a lost answer finds the mail it already sent. */
export const IDEMPOTENCY_HEADER = 'X-NanoClaw-Idempotency-Key';

const THREAD_HEADERS = [
  'From',
  'Reply-To',
  'Subject',
  'Message-ID',
  'References',
  'Auto-Submitted',
  'Precedence',
  'List-Id',
  'List-Unsubscribe',
  'X-Autoreply',
  IDEMPOTENCY_HEADER,
];

export interface SendContext {
  api: GmailApi;
  /** The account's own address, lower-case. */
  email: string;
  maxAttachmentBytes: number;
  /** The notice waiting for this thread's next reply, if any; `clear` after the reply went out. */
  notice(threadId: string): { text: string; clear(): Promise<void> } | undefined;
}

/**
 * A reply in the thread `message.chatId`: to the last mail in it that the account did not send (its Reply-To,
 * else From), with `In-Reply-To`/`References` and the thread id so every client threads it. Refused (permanent)
 * when that mail is automatic, bulk, list or no-reply mail, or when an attachment is over the limit.
 */
export async function sendReply(ctx: SendContext, message: OutboundMessage): Promise<SendResult> {
  const threadId = message.chatId;
  const files = await readAttachments(ctx, message);
  const thread = await readThread(ctx, threadId);
  const already = thread.sentWithKey(message.idempotencyKey);
  if (already) return { platformMessageIds: [already] };
  const last = thread.lastIncoming();
  const reason = automaticMailReason(last, ctx.email);
  if (reason) {
    throw new ChannelError(`gmail: not replying in thread ${threadId}: its last mail is ${reason} mail`, {
      permanent: true,
    });
  }
  const to = last.get('reply-to') ?? last.get('from');
  if (!to) throw new ChannelError(`gmail: thread ${threadId} has no sender to reply to`, { permanent: true });
  const messageId = last.get('message-id');
  const references = [
    ...(last.get('references')?.split(/\s+/).filter(Boolean) ?? []),
    ...(messageId ? [messageId] : []),
  ];
  const notice = ctx.notice(threadId);
  const raw = await composeMail({
    from: ctx.email,
    to,
    subject: replySubject(last.get('subject') ?? ''),
    text: notice ? `${notice.text}\n\n${message.text}` : message.text,
    ...(messageId ? { inReplyTo: messageId } : {}),
    references,
    attachments: files,
    headers: { [IDEMPOTENCY_HEADER]: message.idempotencyKey },
  });
  let id: string | null | undefined;
  try {
    ({ id } = (
      await ctx.api.users.messages.send({
        userId: 'me',
        requestBody: { raw: raw.toString('base64url'), threadId },
      })
    ).data);
  } catch (error) {
    throw toChannelError(error, 'messages.send');
  }
  if (!id) throw new ChannelError('gmail messages.send answered without a message id');
  await notice?.clear();
  return { platformMessageIds: [id] };
}

async function readAttachments(ctx: SendContext, message: OutboundMessage) {
  const files = [];
  for (const attachment of message.attachments ?? []) {
    if (attachment.sizeBytes > ctx.maxAttachmentBytes)
      throw oversized(attachment.name, attachment.sizeBytes, ctx);
    const content = Buffer.from(await readAttachmentFile(attachment));
    if (content.byteLength > ctx.maxAttachmentBytes)
      throw oversized(attachment.name, content.byteLength, ctx);
    files.push({ filename: attachment.name, contentType: attachment.mimeType, content });
  }
  return files;
}

function oversized(name: string, size: number, ctx: SendContext): ChannelError {
  return new ChannelError(
    `gmail: attachment ${name} (${megabytes(size)}) is over the ${megabytes(ctx.maxAttachmentBytes)} limit (GMAIL_MAX_ATTACHMENT_MB)`,
    { permanent: true },
  );
}

/**
 * The thread's mail: the headers of its last mail that the account did not send itself, and the id of a mail it
 * sent with a given idempotency key (a retry of a send whose answer was lost).
 */
async function readThread(ctx: SendContext, threadId: string) {
  let messages: gmail_v1.Schema$Message[] | undefined;
  try {
    ({ messages } = (
      await ctx.api.users.threads.get({
        userId: 'me',
        id: threadId,
        format: 'metadata',
        metadataHeaders: THREAD_HEADERS,
      })
    ).data);
  } catch (error) {
    throw toChannelError(error, 'threads.get');
  }
  const all = (messages ?? []).map((m) => ({
    id: m.id ?? undefined,
    own: (m.labelIds ?? []).includes('SENT'),
    headers: headerMap(m.payload?.headers ?? []),
  }));
  return {
    sentWithKey: (key: string) => all.find((m) => m.own && m.headers.get(IDEMPOTENCY_HEADER) === key)?.id,
    lastIncoming(): MailHeaders {
      const incoming = all.filter((m) => !m.own && addressOf(m.headers.get('from')) !== ctx.email);
      const last = incoming.at(-1);
      if (!last)
        throw new ChannelError(`gmail: thread ${threadId} has no mail to reply to`, { permanent: true });
      return last.headers;
    },
  };
}
