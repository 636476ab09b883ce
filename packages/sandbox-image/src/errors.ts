import { NanoclawError } from '@nanoclaw/core';

const markerName = 'nanoclaw.error.sandbox-image';
const marker = Symbol.for(markerName);

export type SandboxImageErrorCode =
  /** mmdebstrap (or what it needs) is not installed: `hint` says how to install it. */
  | 'builder-missing'
  /** A package list holds a name that is not a package, or one the suite does not have. */
  | 'invalid-packages'
  /** The build ran and failed (network, mirror, a maintainer script): the message carries its last output. */
  | 'build-failed'
  /** The cache directory is not safe to use (owned by another user, writable by others). */
  | 'unsafe-cache';

/** Every error this package throws; `code` says which, `hint` (when set) how to fix it. A `NanoclawError`. */
export class SandboxImageError extends NanoclawError<SandboxImageErrorCode> {
  readonly [marker] = true;

  constructor(
    code: SandboxImageErrorCode,
    message: string,
    readonly options: { cause?: unknown; hint?: string; retryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = 'SandboxImageError';
  }

  get hint(): string | undefined {
    return this.options.hint;
  }

  /** True for a `SandboxImageError` from any copy of this package. */
  static override isInstance(error: unknown): error is SandboxImageError {
    return NanoclawError.hasMarker(error, markerName);
  }
}

export function isSandboxImageError(
  error: unknown,
  code?: SandboxImageErrorCode,
): error is SandboxImageError {
  return SandboxImageError.isInstance(error) && (code === undefined || error.code === code);
}
