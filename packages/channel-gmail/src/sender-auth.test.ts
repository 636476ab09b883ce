import { describe, expect, it } from 'vitest';
import { headerMap } from './mail-filters.js';
import { fromIsAuthenticated } from './sender-auth.js';

const mail = (from: string, ...results: string[]) =>
  headerMap([
    ...results.map((value) => ({ name: 'Authentication-Results', value })),
    { name: 'From', value: from },
  ]);

/** What Gmail writes for a mail from a domain that signs and publishes SPF and DMARC. */
const GMAIL_PASS =
  'mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=abc;\r\n       spf=pass (google.com: domain of alice@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=alice@example.com;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com';

describe('fromIsAuthenticated', () => {
  it("trusts Gmail's verdict for the From domain: DMARC, or DKIM or SPF of exactly that domain", () => {
    expect(fromIsAuthenticated(mail('Alice <alice@example.com>', GMAIL_PASS))).toBe(true);
    expect(
      fromIsAuthenticated(mail('alice@example.com', 'mx.google.com; dkim=pass header.d=example.com')),
    ).toBe(true);
    expect(
      fromIsAuthenticated(
        mail('alice@example.com', 'mx.google.com; spf=pass smtp.mailfrom=bounce@example.com'),
      ),
    ).toBe(true);
  });

  it('refuses a forged From: failing or missing checks, another signing domain, or results Gmail did not write', () => {
    const spoofed =
      'mx.google.com; dkim=none; spf=softfail smtp.mailfrom=mallory@evil.example; dmarc=fail (p=NONE) header.from=example.com';
    expect(fromIsAuthenticated(mail('alice@example.com', spoofed))).toBe(false);
    expect(fromIsAuthenticated(mail('alice@example.com'))).toBe(false);
    expect(
      fromIsAuthenticated(mail('alice@example.com', 'mx.google.com; dkim=pass header.d=evil.example')),
    ).toBe(false);
    expect(
      fromIsAuthenticated(mail('alice@example.com', 'mx.google.com; dkim=pass header.d=mail.example.com')),
    ).toBe(false);
    // A sender's own "pass" lines sit below Gmail's: only the topmost header, from mx.google.com, counts.
    expect(fromIsAuthenticated(mail('alice@example.com', spoofed, GMAIL_PASS))).toBe(false);
    expect(
      fromIsAuthenticated(mail('alice@example.com', 'evil.example; dmarc=pass header.from=example.com')),
    ).toBe(false);
  });
});
