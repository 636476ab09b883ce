import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';

/** Machine-readable causes of a `ClaudeProviderError`. */
export type ClaudeErrorCode =
  /** The Claude Code binary is missing or cannot run. */
  | 'binary-missing'
  /** Claude Code failed to start, or exited. */
  | 'runtime-exited'
  /** The stored continuation (session id) is gone; start a fresh session. */
  | 'session-invalid'
  /** Claude Code did not answer in time. */
  | 'timeout'
  /** The session is closed. */
  | 'closed';

const marker = 'nanoclaw.error.provider-claude';
const symbol = Symbol.for(marker);

/** Every error this provider throws. `message` carries Claude Code's own text where there is one. */
export class ClaudeProviderError extends NanoclawError<ClaudeErrorCode> {
  /** The marker `isInstance` looks for (a `Symbol.for` key: the same in every copy of this package). */
  readonly [symbol] = true;

  constructor(code: ClaudeErrorCode, message: string, options?: NanoclawErrorOptions) {
    super(code, message, options);
    this.name = 'ClaudeProviderError';
  }

  /** True for a `ClaudeProviderError` from any copy of this package. */
  static override isInstance(error: unknown): error is ClaudeProviderError {
    return NanoclawError.hasMarker(error, marker);
  }
}

/**
 * What Claude Code 2.1.x answers to a resume it cannot serve (as the `errors` of an `error_during_execution`
 * result, and on stderr):
 * - an unknown well-formed id: `No conversation found with session ID: <uuid>`;
 * - a malformed id: `Error: --resume requires a valid session ID or session title when used with --print. ...
 *   Provided value "x" is not a UUID and does not match any session title.`
 */
export const SESSION_INVALID_PATTERN =
  /No conversation found with session ID|--resume requires a valid session ID|is not a UUID and does not match any session title/i;

/** True when `error` (or a cause in its chain) says the session behind a continuation is gone. */
export function isClaudeSessionInvalid(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof ClaudeProviderError && current.code === 'session-invalid') return true;
    const message = messageOf(current);
    if (message !== undefined && SESSION_INVALID_PATTERN.test(message)) return true;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return false;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return undefined;
}
