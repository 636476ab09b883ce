import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';

/** Machine-readable causes of a `CodexProviderError`. */
export type CodexErrorCode =
  /** The codex binary is missing or cannot run. */
  | 'binary-missing'
  /** app-server failed to start, or exited. */
  | 'app-server-exited'
  /** A JSON-RPC request to app-server failed (the message is Codex's); opencode's HTTP failures share the code. */
  | 'request-failed'
  /** The stored continuation (thread id) is gone; start a fresh session. */
  | 'session-invalid'
  /** Bad options or config. */
  | 'invalid-config'
  /** The session is closed. */
  | 'closed';

const marker = 'nanoclaw.error.provider-codex';
const symbol = Symbol.for(marker);

/** Every error this provider throws. `message` carries Codex's own text where there is one. */
export class CodexProviderError extends NanoclawError<CodexErrorCode> {
  /** The marker `isInstance` looks for (a `Symbol.for` key: the same in every copy of this package). */
  readonly [symbol] = true;

  constructor(code: CodexErrorCode, message: string, options?: NanoclawErrorOptions) {
    super(code, message, options);
    this.name = 'CodexProviderError';
  }

  /** True for a `CodexProviderError` from any copy of this package. */
  static override isInstance(error: unknown): error is CodexProviderError {
    return NanoclawError.hasMarker(error, marker);
  }
}

/**
 * What app-server answers for a thread it does not have (all JSON-RPC -32600):
 * `no rollout found for thread id <uuid>` (thread/resume, unknown id), `invalid session id: ...` (thread/resume,
 * malformed id), `thread not found: <id>` (turn/start, thread/compact/start on an unloaded id).
 */
export const SESSION_INVALID_PATTERN = /no rollout found for thread id|thread not found|invalid session id/i;

/** True when `error` (or a cause in its chain) says the thread behind a continuation is gone. */
export function isCodexSessionInvalid(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof CodexProviderError && current.code === 'session-invalid') return true;
    const message =
      typeof current === 'string'
        ? current
        : typeof current === 'object' && typeof (current as { message?: unknown }).message === 'string'
          ? (current as { message: string }).message
          : undefined;
    if (message !== undefined && SESSION_INVALID_PATTERN.test(message)) return true;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return false;
}
