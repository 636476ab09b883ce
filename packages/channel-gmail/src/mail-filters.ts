/**
 * Mail the assistant never answers: automatic replies, bulk and list mail, no-reply senders, and its own mail.
 * Answering any of them risks a loop (two auto-responders answering each other) or mail nobody reads.
 */

/** Why a mail is not answered; undefined when it may be. */
export type AutomaticMailReason = 'own-mail' | 'no-reply' | 'bulk' | 'auto-submitted' | 'mailing-list';

export interface MailHeaders {
  /** Header lookup by name, case-insensitive; undefined when absent. */
  get(name: string): string | undefined;
}

const NO_REPLY_LOCAL =
  /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?|notifications?)(?:[-+_.].*)?$/i;

/** A header map from Gmail's `payload.headers` (or any list of name/value pairs). */
export function headerMap(headers: readonly { name?: string | null; value?: string | null }[]): MailHeaders {
  const map = new Map<string, string>();
  for (const { name, value } of headers) {
    if (!name || value === undefined || value === null) continue;
    const key = name.toLowerCase();
    if (!map.has(key)) map.set(key, value);
  }
  return { get: (name) => map.get(name.toLowerCase()) };
}

/** The bare address of a `From:`-style header value, lower-cased ("Ann <Ann@X.org>" → "ann@x.org"). */
export function addressOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  const bare = angle?.[1] ?? /[^\s<>"',;]+@[^\s<>"',;]+/.exec(value)?.[0];
  return bare?.toLowerCase();
}

/** Whether a sender address is a no-reply style address (noreply@, no-reply+x@, mailer-daemon@, ...). */
export function isNoReplyAddress(address: string): boolean {
  const local = address.split('@')[0] ?? '';
  return NO_REPLY_LOCAL.test(local);
}

/**
 * Why this mail must not be answered, checked in order: it is the account's own mail, `Auto-Submitted` is
 * anything but `no` (RFC 3834: auto-replied, auto-generated, auto-notified), `Precedence` is bulk/junk/list, it
 * comes through a mailing list (`List-Id`/`List-Unsubscribe`), or the sender (or its Reply-To) is a no-reply one.
 */
export function automaticMailReason(
  headers: MailHeaders,
  ownAddress: string,
): AutomaticMailReason | undefined {
  const from = addressOf(headers.get('from'));
  if (from !== undefined && from === ownAddress.toLowerCase()) return 'own-mail';
  const autoSubmitted = headers.get('auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto-submitted';
  if (headers.get('x-autoreply') || headers.get('x-autorespond')) return 'auto-submitted';
  const precedence = headers.get('precedence')?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'junk' || precedence === 'list') return 'bulk';
  if (headers.get('list-id') || headers.get('list-unsubscribe')) return 'mailing-list';
  const replyTo = addressOf(headers.get('reply-to'));
  if (from === undefined || isNoReplyAddress(from)) return 'no-reply';
  if (replyTo !== undefined && isNoReplyAddress(replyTo)) return 'no-reply';
  return undefined;
}
