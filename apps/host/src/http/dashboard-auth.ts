import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The session cookie's name. */
export const SESSION_COOKIE = 'nanoclaw_session';
/** The header a cookie-authenticated request that changes something carries its CSRF token in. */
export const CSRF_HEADER = 'x-nanoclaw-csrf';
/** How long a login link works. */
export const LOGIN_CODE_TTL_MS = 5 * 60 * 1000;
/** How long a dashboard session lasts (the cookie's Max-Age). */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Live sessions kept; a new one beyond this drops the oldest. */
export const MAX_SESSIONS = 32;
/** Unused login codes kept; a new one beyond this drops the oldest. */
export const MAX_LOGIN_CODES = 32;

const SECRET_BYTES = 32;

export interface DashboardSession {
  csrfToken: string;
  expiresAt: number;
}

export interface DashboardAuthOptions {
  now?: () => number;
}

/** A fresh secret: 32 random bytes, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Compares two secrets in constant time (SHA-256 of both sides, so lengths never leak). */
export function secretsEqual(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * The dashboard's sign-in: one-time login codes (made with the API token, good for 5 minutes, used once) that
 * become browser sessions (a random cookie, with its own CSRF token). Kept in memory: a host restart signs the
 * browser out. Codes and sessions are looked up by their SHA-256, so how long a lookup takes says nothing about
 * the secret.
 */
export function createDashboardAuth(options: DashboardAuthOptions = {}): DashboardAuth {
  return new DashboardAuth(options);
}

export class DashboardAuth {
  readonly #now: () => number;
  /** Login codes by digest → when they expire. */
  readonly #codes = new Map<string, number>();
  /** Sessions by digest of the cookie value, oldest first. */
  readonly #sessions = new Map<string, DashboardSession>();

  constructor(options: DashboardAuthOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** A new login code and when it expires. */
  createCode(): { code: string; expiresAt: number } {
    this.#prune();
    const code = newSecret();
    const expiresAt = this.#now() + LOGIN_CODE_TTL_MS;
    this.#codes.set(key(code), expiresAt);
    dropOldest(this.#codes, MAX_LOGIN_CODES);
    return { code, expiresAt };
  }

  /** Uses a login code up: a new session (its cookie value and CSRF token), or undefined when it is not valid. */
  redeem(code: string): { sessionId: string; session: DashboardSession } | undefined {
    this.#prune();
    const codeKey = key(code);
    const expiresAt = this.#codes.get(codeKey);
    this.#codes.delete(codeKey);
    if (expiresAt === undefined || expiresAt <= this.#now()) return undefined;
    const sessionId = newSecret();
    const session = { csrfToken: newSecret(), expiresAt: this.#now() + SESSION_TTL_MS };
    this.#sessions.set(key(sessionId), session);
    dropOldest(this.#sessions, MAX_SESSIONS);
    return { sessionId, session };
  }

  /** The live session of a cookie value. */
  session(sessionId: string | undefined): DashboardSession | undefined {
    if (!sessionId) return undefined;
    const sessionKey = key(sessionId);
    const session = this.#sessions.get(sessionKey);
    if (!session) return undefined;
    if (session.expiresAt > this.#now()) return session;
    this.#sessions.delete(sessionKey);
    return undefined;
  }

  /** Ends a session (sign out); false when there was none. */
  revoke(sessionId: string): boolean {
    return this.#sessions.delete(key(sessionId));
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [codeKey, expiresAt] of this.#codes) if (expiresAt <= now) this.#codes.delete(codeKey);
    for (const [sessionKey, session] of this.#sessions)
      if (session.expiresAt <= now) this.#sessions.delete(sessionKey);
  }
}

/** The value of one cookie in a `Cookie` header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    return part.slice(at + 1).trim();
  }
  return undefined;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function key(secret: string): string {
  return digest(secret).toString('base64url');
}

/** Maps keep insertion order: the first keys are the oldest. */
function dropOldest(map: Map<string, unknown>, max: number): void {
  for (const oldest of map.keys()) {
    if (map.size <= max) return;
    map.delete(oldest);
  }
}
