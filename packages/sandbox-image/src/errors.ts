export type SandboxImageErrorCode =
  /** mmdebstrap (or what it needs) is not installed: `hint` says how to install it. */
  | 'builder-missing'
  /** A package list holds a name that is not a package, or one the suite does not have. */
  | 'invalid-packages'
  /** The build ran and failed (network, mirror, a maintainer script): the message carries its last output. */
  | 'build-failed'
  /** The cache directory is not safe to use (owned by another user, writable by others). */
  | 'unsafe-cache';

/** Every error this package throws; `code` says which, `hint` (when set) how to fix it. */
export class SandboxImageError extends Error {
  override readonly name = 'SandboxImageError';
  constructor(
    readonly code: SandboxImageErrorCode,
    message: string,
    readonly options: { cause?: unknown; hint?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  get hint(): string | undefined {
    return this.options.hint;
  }
}

export function isSandboxImageError(
  error: unknown,
  code?: SandboxImageErrorCode,
): error is SandboxImageError {
  return error instanceof SandboxImageError && (code === undefined || error.code === code);
}
