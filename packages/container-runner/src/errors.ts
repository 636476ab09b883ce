import { NanoclawError, type NanoclawErrorOptions } from '@nanoclaw/core';

const markerName = 'nanoclaw.error.sandbox';
const marker = Symbol.for(markerName);

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
  /** A runtime implements another version of the container runtime specification. */
  | 'unsupported-runtime-version'
  /** The runner broke the protocol or the connection is closed. */
  | 'connection-closed';

/** Every error this package throws; `code` says which. A `NanoclawError`, so hosts handle it like any other. */
export class SandboxError extends NanoclawError<SandboxErrorCode> {
  readonly [marker] = true;

  constructor(code: SandboxErrorCode, message: string, options?: NanoclawErrorOptions) {
    super(code, message, options);
    this.name = 'SandboxError';
  }

  /** True for a `SandboxError` from any copy of this package. */
  static override isInstance(error: unknown): error is SandboxError {
    return NanoclawError.hasMarker(error, markerName);
  }
}

export function isSandboxError(error: unknown, code?: SandboxErrorCode): error is SandboxError {
  return SandboxError.isInstance(error) && (code === undefined || error.code === code);
}
