import { describe, expect, it } from 'vitest';
import {
  createDashboardAuth,
  LOGIN_CODE_TTL_MS,
  MAX_SESSIONS,
  readCookie,
  SESSION_TTL_MS,
  secretsEqual,
} from './dashboard-auth.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('createDashboardAuth', () => {
  it('makes login codes of 32 random bytes (base64url) that expire after 5 minutes', () => {
    const time = clock();
    const auth = createDashboardAuth({ now: time.now });
    const { code, expiresAt } = auth.createCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(code, 'base64url')).toHaveLength(32);
    expect(expiresAt).toBe(time.now() + LOGIN_CODE_TTL_MS);
    expect(auth.createCode().code).not.toBe(code);
    time.advance(LOGIN_CODE_TTL_MS);
    expect(auth.redeem(code)).toBeUndefined();
  });

  it('takes a code once: the second use, or an unknown code, signs nobody in', () => {
    const auth = createDashboardAuth();
    const { code } = auth.createCode();
    const first = auth.redeem(code);
    expect(first?.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first?.session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.redeem(code)).toBeUndefined();
    expect(auth.redeem('')).toBeUndefined();
    expect(auth.redeem(`${code}x`)).toBeUndefined();
  });

  it('finds a session by its cookie until it expires or is revoked', () => {
    const time = clock();
    const auth = createDashboardAuth({ now: time.now });
    const signedIn = auth.redeem(auth.createCode().code);
    if (!signedIn) throw new Error('not signed in');
    expect(auth.session(signedIn.sessionId)).toEqual(signedIn.session);
    expect(auth.session('someone-else')).toBeUndefined();
    expect(auth.session(undefined)).toBeUndefined();
    expect(auth.revoke(signedIn.sessionId)).toBe(true);
    expect(auth.session(signedIn.sessionId)).toBeUndefined();
    const again = auth.redeem(auth.createCode().code);
    time.advance(SESSION_TTL_MS);
    expect(auth.session(again?.sessionId)).toBeUndefined();
  });

  it(`keeps at most ${MAX_SESSIONS} sessions, dropping the oldest`, () => {
    const auth = createDashboardAuth();
    const ids = Array.from(
      { length: MAX_SESSIONS + 1 },
      () => auth.redeem(auth.createCode().code)?.sessionId,
    );
    expect(auth.sessionCount).toBe(MAX_SESSIONS);
    expect(auth.session(ids[0])).toBeUndefined();
    expect(auth.session(ids[1])).toBeDefined();
    expect(auth.session(ids[MAX_SESSIONS])).toBeDefined();
  });
});

describe('readCookie', () => {
  it('reads one cookie of a Cookie header', () => {
    expect(readCookie('a=1; nanoclaw_session=abc; b=2', 'nanoclaw_session')).toBe('abc');
    expect(readCookie('nanoclaw_session_x=1', 'nanoclaw_session')).toBeUndefined();
    expect(readCookie(undefined, 'nanoclaw_session')).toBeUndefined();
  });
});

describe('secretsEqual', () => {
  it('is true only for the same secret', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('abc', '')).toBe(false);
  });
});
