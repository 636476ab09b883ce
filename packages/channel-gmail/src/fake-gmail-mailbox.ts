/**
 * The state behind the fake Gmail server: messages with labels and threads, the history of added messages,
 * labels, and the mail the adapter sent. Tests put mail in with `inject` (built with nodemailer's composer, or
 * given raw) and read what was sent from `sent`.
 */
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface FakeMail {
  id: string;
  threadId: string;
  labelIds: Set<string>;
  raw: Buffer;
  internalDate: number;
  historyId: number;
}

/** A mail the adapter sent (parsed back), with the thread it went to. */
export interface FakeSentMail {
  id: string;
  threadId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  headers: Map<string, string>;
  attachments: { name: string; mimeType: string; content: Uint8Array }[];
}

export interface FakeInjectInput {
  /** The thread to add it to (default: a new thread). */
  threadId?: string;
  from?: string;
  /** Default: the account's address. */
  to?: string;
  cc?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** Extra headers (`Precedence`, `Auto-Submitted`, `List-Id`, ...). */
  headers?: Record<string, string>;
  attachments?: { name: string; mimeType: string; content: Uint8Array }[];
  /** User label names to put on it (created when missing). */
  labels?: string[];
  /** A whole RFC 822 mail instead of the fields above. */
  raw?: Buffer;
  /**
   * A forged From: the `Authentication-Results` Gmail adds on receipt says DKIM none, SPF softfail, DMARC fail.
   * Default: they pass for the From domain, as for mail from a domain with DKIM, SPF and DMARC.
   */
  spoofed?: boolean;
}

export interface FakeMailbox {
  readonly email: string;
  readonly messages: ReadonlyMap<string, FakeMail>;
  readonly sent: readonly FakeSentMail[];
  /** Puts a mail in the inbox (unread) and records it in the history. */
  inject(input: FakeInjectInput): Promise<{ id: string; threadId: string; messageId: string }>;
  /** The history records the same message again (a redelivery). */
  redeliver(messageId: string): void;
  /** The mail has the NanoClaw label and is no longer unread. */
  isHandled(messageId: string): boolean;
  /** Label ids → names. */
  labelName(id: string): string | undefined;
  expireHistory(): void;
  profile(): { emailAddress: string; historyId: string; messagesTotal: number };
  history(query: URLSearchParams): { status: number; body: unknown };
  list(query: URLSearchParams): unknown;
  get(id: string, format: string): unknown;
  thread(id: string, query: URLSearchParams): unknown;
  modify(id: string, body: Record<string, unknown>): unknown;
  labels(): { id: string; name: string; type: string }[];
  createLabel(name: string): { id: string; name: string };
  recordSent(
    raw: Buffer,
    parsed: ParsedMail,
    threadId: string | undefined,
  ): { id: string; threadId: string; labelIds: string[] };
}

const SYSTEM_LABELS = ['INBOX', 'UNREAD', 'SENT', 'DRAFT', 'SPAM', 'TRASH', 'STARRED', 'IMPORTANT'];

export function createFakeMailbox(email: string): FakeMailbox {
  const messages = new Map<string, FakeMail>();
  const history: { id: number; messageId: string }[] = [];
  const labels = new Map<string, string>(SYSTEM_LABELS.map((l) => [l, l]));
  const sent: FakeSentMail[] = [];
  let historyId = 1000;
  let oldestHistory = 0;
  let nextId = 1;
  const newId = (prefix: string) =>
    `${prefix}${(nextId++).toString(16).padStart(8, '0')}${randomBytes(2).toString('hex')}`;

  const labelIdFor = (name: string) => {
    const existing = [...labels].find(([, n]) => n === name)?.[0];
    if (existing) return existing;
    const id = `Label_${nextId++}`;
    labels.set(id, name);
    return id;
  };

  const add = (mail: Omit<FakeMail, 'historyId'>) => {
    historyId += 1;
    const stored = { ...mail, historyId };
    messages.set(mail.id, stored);
    history.push({ id: historyId, messageId: mail.id });
    return stored;
  };

  return {
    email,
    messages,
    sent,
    async inject(input) {
      const threadId = input.threadId ?? newId('t');
      const composed =
        input.raw ?? (await composeInjected(email, input, threadReferences(messages, threadId)));
      const raw = withGmailVerdict(composed, input.spoofed === true);
      const id = newId('m');
      const labelIds = new Set(['INBOX', 'UNREAD', ...(input.labels ?? []).map(labelIdFor)]);
      add({ id, threadId, labelIds, raw, internalDate: Date.now() });
      return { id, threadId, messageId: rawHeaders(raw).get('message-id') ?? '' };
    },
    redeliver(messageId) {
      historyId += 1;
      history.push({ id: historyId, messageId });
    },
    isHandled(messageId) {
      const mail = messages.get(messageId);
      const handled = [...labels].find(([, n]) => n === 'NanoClaw')?.[0];
      return !!mail && !!handled && mail.labelIds.has(handled) && !mail.labelIds.has('UNREAD');
    },
    labelName: (id) => labels.get(id),
    expireHistory() {
      oldestHistory = historyId + 1;
    },
    profile: () => ({ emailAddress: email, historyId: String(historyId), messagesTotal: messages.size }),
    history(query) {
      const start = Number(query.get('startHistoryId'));
      if (!Number.isFinite(start) || start < oldestHistory) {
        return { status: 404, body: { error: { code: 404, message: 'Requested entity was not found.' } } };
      }
      const labelId = query.get('labelId');
      const records = history
        .filter((h) => h.id > start)
        .flatMap((h) => {
          const mail = messages.get(h.messageId);
          if (!mail || (labelId && !mail.labelIds.has(labelId))) return [];
          return [{ id: String(h.id), messagesAdded: [{ message: summary(mail) }] }];
        });
      return { status: 200, body: { history: records, historyId: String(historyId) } };
    },
    list(query) {
      const wanted = query.getAll('labelIds');
      const max = Number(query.get('maxResults') ?? 100);
      const found = [...messages.values()]
        .filter((m) => wanted.every((l) => m.labelIds.has(l)))
        .reverse()
        .slice(0, max)
        .map((m) => ({ id: m.id, threadId: m.threadId }));
      return { messages: found, resultSizeEstimate: found.length };
    },
    get(id, format) {
      const mail = messages.get(id);
      if (!mail) return undefined;
      if (format === 'raw') return { ...summary(mail), raw: mail.raw.toString('base64url') };
      return { ...summary(mail), payload: { mimeType: 'message/rfc822', headers: headerList(mail.raw) } };
    },
    thread(id, query) {
      const wanted = new Set(query.getAll('metadataHeaders').map((h) => h.toLowerCase()));
      const inThread = [...messages.values()].filter((m) => m.threadId === id);
      if (inThread.length === 0) return undefined;
      return {
        id,
        messages: inThread.map((m) => ({
          ...summary(m),
          payload: {
            headers: headerList(m.raw).filter((h) => wanted.size === 0 || wanted.has(h.name.toLowerCase())),
          },
        })),
      };
    },
    modify(id, body) {
      const mail = messages.get(id);
      if (!mail) return undefined;
      for (const label of (body.addLabelIds as string[] | undefined) ?? []) mail.labelIds.add(label);
      for (const label of (body.removeLabelIds as string[] | undefined) ?? []) mail.labelIds.delete(label);
      return summary(mail);
    },
    labels: () =>
      [...labels].map(([id, name]) => ({ id, name, type: SYSTEM_LABELS.includes(id) ? 'system' : 'user' })),
    createLabel(name) {
      return { id: labelIdFor(name), name };
    },
    recordSent(raw, parsed, threadId) {
      const id = newId('s');
      const thread =
        threadId && [...messages.values()].some((m) => m.threadId === threadId) ? threadId : newId('t');
      add({ id, threadId: thread, labelIds: new Set(['SENT']), raw, internalDate: Date.now() });
      sent.push(sentRecord(id, thread, parsed));
      return { id, threadId: thread, labelIds: ['SENT'] };
    },
  };
}

function summary(mail: FakeMail) {
  return {
    id: mail.id,
    threadId: mail.threadId,
    labelIds: [...mail.labelIds],
    historyId: String(mail.historyId),
    internalDate: String(mail.internalDate),
    sizeEstimate: mail.raw.byteLength,
  };
}

function sentRecord(id: string, threadId: string, parsed: ParsedMail): FakeSentMail {
  const headers = new Map<string, string>();
  for (const line of parsed.headerLines) {
    const value = line.line.slice(line.line.indexOf(':') + 1).trim();
    headers.set(line.key.toLowerCase(), value);
  }
  const refs = parsed.references;
  return {
    id,
    threadId,
    from: parsed.from?.text ?? '',
    to: Array.isArray(parsed.to) ? parsed.to.map((t) => t.text).join(', ') : (parsed.to?.text ?? ''),
    subject: parsed.subject ?? '',
    text: (parsed.text ?? '').replace(/\n+$/, ''),
    html: parsed.html || undefined,
    inReplyTo: parsed.inReplyTo,
    references: typeof refs === 'string' ? [refs] : (refs ?? []),
    headers,
    attachments: parsed.attachments.map((a) => ({
      name: a.filename ?? '',
      mimeType: a.contentType,
      content: new Uint8Array(a.content),
    })),
  };
}

/** In-Reply-To and References for a mail added to an existing thread (its last message's Message-ID). */
function threadReferences(messages: ReadonlyMap<string, FakeMail>, threadId: string): string[] {
  const inThread = [...messages.values()].filter((m) => m.threadId === threadId);
  const last = inThread.at(-1);
  if (!last) return [];
  const headers = rawHeaders(last.raw);
  const id = headers.get('message-id');
  return [...(headers.get('references')?.split(/\s+/).filter(Boolean) ?? []), ...(id ? [id] : [])];
}

async function composeInjected(email: string, input: FakeInjectInput, references: string[]): Promise<Buffer> {
  const composer = new MailComposer({
    from: input.from ?? 'Alice Example <alice@example.com>',
    to: input.to ?? email,
    ...(input.cc ? { cc: input.cc } : {}),
    subject: input.subject ?? (references.length > 0 ? 'Re: Hello' : 'Hello'),
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(references.length > 0 ? { inReplyTo: references.at(-1), references } : {}),
    messageId: `<${randomBytes(8).toString('hex')}@example.com>`,
    headers: input.headers ?? {},
    attachments: (input.attachments ?? []).map((a) => ({
      filename: a.name,
      contentType: a.mimeType,
      content: Buffer.from(a.content),
    })),
  });
  return composer.compile().build();
}

/** The mail as Gmail stores it on receipt: its `Authentication-Results` header on top of the sender's headers. */
function withGmailVerdict(raw: Buffer, spoofed: boolean): Buffer {
  const from = rawHeaders(raw).get('from') ?? '';
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? /\S+@\S+/.exec(from)?.[0] ?? 'unknown@invalid';
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  const verdict = spoofed
    ? `dkim=none; spf=softfail smtp.mailfrom=bounce@forger.example; dmarc=fail (p=NONE) header.from=${domain}`
    : `dkim=pass header.i=@${domain} header.s=s1; spf=pass smtp.mailfrom=${address}; dmarc=pass (p=REJECT) header.from=${domain}`;
  return Buffer.concat([Buffer.from(`Authentication-Results: mx.google.com;\r\n       ${verdict}\r\n`), raw]);
}

/** The header block of a raw mail, unfolded, by lower-case name (first occurrence wins). */
export function rawHeaders(raw: Buffer): Map<string, string> {
  const map = new Map<string, string>();
  for (const { name, value } of headerList(raw))
    if (!map.has(name.toLowerCase())) map.set(name.toLowerCase(), value);
  return map;
}

function headerList(raw: Buffer): { name: string; value: string }[] {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return block.split(/\r?\n/).flatMap((line) => {
    const colon = line.indexOf(':');
    return colon > 0 ? [{ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() }] : [];
  });
}
