import { convert } from 'html-to-text';
import { type AddressObject, type Attachment, simpleParser } from 'mailparser';
import { capText, stripQuotedHistory } from './strip-quotes.js';

/** The longest text the agent gets from one mail (after quotes and signature are cut). */
export const GMAIL_MAX_INBOUND_TEXT = 20_000;

/** An attachment of an inbound mail, by its position among the mail's attachments. */
export interface ParsedAttachment {
  index: number;
  name: string;
  mimeType: string;
  sizeBytes: number;
}

export interface ParsedMail {
  from: { address: string; name?: string } | undefined;
  to: string[];
  cc: string[];
  subject: string;
  messageId: string | undefined;
  references: string[];
  date: Date | undefined;
  /** The new words: HTML converted to text (never rendered), quoted history and signature cut, size capped. */
  text: string;
  attachments: ParsedAttachment[];
}

/** HTML elements that hold quoted history in Gmail, Outlook and Apple Mail replies: skipped when converting. */
const QUOTE_SELECTORS = [
  'blockquote',
  'div.gmail_quote',
  'div.gmail_extra',
  'div#divRplyFwdMsg',
  'div#appendonsend',
  'div.moz-cite-prefix',
];

/** Parses a raw RFC 822 mail (as `messages.get?format=raw` gives it). */
export async function parseMail(raw: Buffer, maxText = GMAIL_MAX_INBOUND_TEXT): Promise<ParsedMail> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const sender = mail.from?.value[0];
  const body = mail.text?.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
  return {
    from: sender?.address
      ? { address: sender.address.toLowerCase(), ...(sender.name ? { name: sender.name } : {}) }
      : undefined,
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    subject: mail.subject ?? '',
    messageId: mail.messageId,
    references: typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []),
    date: mail.date,
    text: capText(stripQuotedHistory(body), maxText),
    attachments: fileAttachments(mail.attachments).map((a, index) => ({
      index,
      name: a.filename ?? `attachment-${index + 1}`,
      mimeType: a.contentType || 'application/octet-stream',
      sizeBytes: a.size,
    })),
  };
}

/** The bytes of attachment `index` of a raw mail. */
export async function attachmentBytes(raw: Buffer, index: number): Promise<Uint8Array | undefined> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const file = fileAttachments(mail.attachments)[index];
  return file ? new Uint8Array(file.content) : undefined;
}

/** HTML as plain text with a library (links kept as text, images and quoted history dropped); never rendered. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'head', format: 'skip' },
      // Outlook draws a rule above the quoted mail.
      { selector: 'hr', format: 'skip' },
      ...QUOTE_SELECTORS.map((selector) => ({ selector, format: 'skip' })),
    ],
  });
}

/** Real attachments only: inline images of the HTML part (`related`) are not files the sender attached. */
function fileAttachments(attachments: readonly Attachment[]): Attachment[] {
  return attachments.filter((a) => !a.related);
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((o) => o.value.flatMap((a) => (a.address ? [a.address.toLowerCase()] : [])));
}
