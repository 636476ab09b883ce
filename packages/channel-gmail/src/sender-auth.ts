/**
 * Whether Gmail vouches for a mail's `From:` address. Anyone can write any `From:`; the agents answering mail have
 * a shell, and a `from:` routing rule or a person's role must never be reachable by forging a header.
 */
import { addressOf, type MailHeaders } from './mail-filters.js';

/** The authserv-id of the `Authentication-Results` header Gmail adds on receipt. */
const GMAIL_AUTHSERV = 'mx.google.com';

/**
 * True when Gmail's own `Authentication-Results` header — the topmost one, which Gmail adds above whatever the
 * sender wrote, with authserv-id `mx.google.com` — says `dmarc=pass` for the From domain (Gmail has then checked
 * DMARC's alignment itself, with the public suffix list), or `dkim=pass` signed by exactly the From domain, or
 * `spf=pass` for an envelope sender in exactly that domain. Anything else, or no such header, is not authenticated.
 */
export function fromIsAuthenticated(headers: MailHeaders): boolean {
  const fromDomain = domainOf(addressOf(headers.get('from')));
  const value = headers.get('authentication-results');
  if (!fromDomain || !value) return false;
  const [authserv, ...results] = value.split(';').map((part) => part.replace(/\([^)]*\)/g, ' ').trim());
  if (authserv?.split(/\s+/)[0]?.toLowerCase() !== GMAIL_AUTHSERV) return false;
  return results.some((result) => passesFor(result, fromDomain));
}

function passesFor(result: string, fromDomain: string): boolean {
  const [method, ...props] = result.split(/\s+/);
  const [name, verdict] = (method ?? '').toLowerCase().split('=');
  if (verdict !== 'pass') return false;
  const prop = (key: string) =>
    props
      .find((p) => p.toLowerCase().startsWith(`${key}=`))
      ?.slice(key.length + 1)
      .toLowerCase();
  if (name === 'dmarc') return aligned(prop('header.from'), fromDomain);
  if (name === 'dkim') return aligned(prop('header.d') ?? domainOf(prop('header.i')), fromDomain);
  if (name === 'spf') return aligned(domainOf(prop('smtp.mailfrom')) ?? prop('smtp.mailfrom'), fromDomain);
  return false;
}

function aligned(domain: string | undefined, fromDomain: string): boolean {
  return domain !== undefined && domain === fromDomain;
}

function domainOf(address: string | undefined): string | undefined {
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1).toLowerCase() : undefined;
}
