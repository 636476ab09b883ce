export type SandboxErrorCode =
  /** A mount failed a safety check (symlink, outside its root, inside a sandbox-writable folder, blocked path). */
  | 'mount-refused'
  /** The mount allowlist file is malformed. */
  | 'invalid-allowlist'
  /** A spec, option or env value is not acceptable. */
  | 'invalid-argument'
  /** No usable runtime, or the chosen one cannot run here. */
  | 'runtime-unavailable'
  /** A runtime command (docker, bwrap, ...) failed. */
  | 'runtime-failed'
  /** A group file could not be read safely (symlink, outside the folder, not a regular file). */
  | 'unsafe-path'
  /** The runner broke the protocol or the connection is closed. */
  | 'connection-closed';

/** Every error this package throws; `code` says which. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSandboxError(error: unknown, code?: SandboxErrorCode): error is SandboxError {
  return error instanceof SandboxError && (code === undefined || error.code === code);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
