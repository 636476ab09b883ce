import { describe, expect, it } from 'vitest';
import { addressOf, automaticMailReason, headerMap, isNoReplyAddress } from './mail-filters.js';

const OWN = 'assistant@example.com';
const mail = (headers: Record<string, string>) =>
  automaticMailReason(headerMap(Object.entries(headers).map(([name, value]) => ({ name, value }))), OWN);

describe('automaticMailReason', () => {
  it('lets a person’s mail through', () => {
    expect(mail({ From: 'Alice <alice@example.com>' })).toBeUndefined();
    expect(mail({ From: 'Alice <alice@example.com>', 'Auto-Submitted': 'no' })).toBeUndefined();
  });

  it('never answers its own mail (no loop with itself)', () => {
    expect(mail({ From: 'NanoClaw <Assistant@Example.com>' })).toBe('own-mail');
  });

  it('refuses automatic replies and notifications (RFC 3834 Auto-Submitted)', () => {
    expect(mail({ From: 'alice@example.com', 'Auto-Submitted': 'auto-replied' })).toBe('auto-submitted');
    expect(mail({ From: 'alice@example.com', 'auto-submitted': 'auto-generated' })).toBe('auto-submitted');
    expect(mail({ From: 'alice@example.com', 'X-Autoreply': 'yes' })).toBe('auto-submitted');
  });

  it('refuses bulk and list mail', () => {
    expect(mail({ From: 'news@example.com', Precedence: 'bulk' })).toBe('bulk');
    expect(mail({ From: 'news@example.com', Precedence: 'list' })).toBe('bulk');
    expect(mail({ From: 'news@example.com', 'List-Id': '<team.example.com>' })).toBe('mailing-list');
  });

  it('refuses no-reply senders and no-reply Reply-To', () => {
    expect(mail({ From: 'Shop <noreply@shop.example>' })).toBe('no-reply');
    expect(mail({ From: 'no-reply+orders@shop.example' })).toBe('no-reply');
    expect(mail({ From: 'MAILER-DAEMON@mx.example' })).toBe('no-reply');
    expect(mail({ From: 'shop@shop.example', 'Reply-To': 'do-not-reply@shop.example' })).toBe('no-reply');
    expect(mail({})).toBe('no-reply');
  });
});

describe('addresses', () => {
  it('reads the bare address of a header value', () => {
    expect(addressOf('"Ann, B" <Ann@X.org>')).toBe('ann@x.org');
    expect(addressOf('ann@x.org')).toBe('ann@x.org');
    expect(addressOf(undefined)).toBeUndefined();
  });

  it('knows no-reply local parts but not people whose name contains one', () => {
    expect(isNoReplyAddress('noreply@x.org')).toBe(true);
    expect(isNoReplyAddress('notifications@github.example')).toBe(true);
    expect(isNoReplyAddress('noreen@x.org')).toBe(false);
  });
});
