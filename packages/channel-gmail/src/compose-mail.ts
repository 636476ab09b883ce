import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface ComposeInput {
  from: string;
  to: string;
  subject: string;
  /** Plain text as the agent wrote it (markdown-ish); an HTML part is made from it. */
  text: string;
  inReplyTo?: string;
  references?: readonly string[];
  attachments?: readonly { filename: string; contentType: string; content: Buffer }[];
  /** Extra headers. */
  headers?: Record<string, string>;
}

/**
 * A reply as raw RFC 822 bytes: plain text plus a simple HTML part (escaped paragraphs, nothing the agent wrote
 * is taken as markup), `In-Reply-To`/`References` so clients thread it, and `Auto-Submitted: auto-replied`
 * (RFC 3834), so other responders — another NanoClaw included — do not answer it back.
 */
export async function composeMail(input: ComposeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    subject: input.subject,
    text: input.text,
    html: simpleHtml(input.text),
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    ...(input.references && input.references.length > 0 ? { references: [...input.references] } : {}),
    headers: { ...input.headers, 'Auto-Submitted': 'auto-replied' },
    attachments: (input.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
    })),
  });
  return composer.compile().build();
}

/** `Re: <subject>` once, however many replies deep. */
export function replySubject(subject: string): string {
  const trimmed = subject.trim();
  return /^re:/i.test(trimmed) ? trimmed : `Re: ${trimmed || '(no subject)'}`;
}

/** Paragraphs and line breaks of plain text as escaped HTML. */
export function simpleHtml(text: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  return `<!doctype html><html><body>${paragraphs}</body></html>`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
