const marker = 'nanoclaw.error';
const symbol = Symbol.for(marker);

/** What every NanoClaw error may carry besides its message. */
export interface NanoclawErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** True when the same call may succeed if tried again later (a timeout, a restart); false by default. */
  retryable?: boolean;
}

/**
 * The base of every error a NanoClaw package throws: a machine-readable `code`, whether trying again may help, and
 * the cause. `NanoclawError.isInstance` works across copies of this package (two versions installed side by side),
 * where `instanceof` does not; a subclass that needs the same gets its own marker through `hasMarker`.
 */
export class NanoclawError<Code extends string = string> extends Error {
  readonly [symbol] = true;
  readonly code: Code;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: NanoclawErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NanoclawError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** True for any NanoClaw error, from this copy of the package or another. */
  static isInstance(error: unknown): error is NanoclawError {
    return NanoclawError.hasMarker(error, marker);
  }

  /** For subclasses: `static isInstance(e) { return NanoclawError.hasMarker(e, 'nanoclaw.error.codex') }`. */
  static hasMarker(error: unknown, markerName: string): boolean {
    const markerSymbol = Symbol.for(markerName);
    return (
      typeof error === 'object' &&
      error !== null &&
      markerSymbol in error &&
      (error as Record<symbol, unknown>)[markerSymbol] === true
    );
  }
}

/** The message of anything thrown: an Error's `message`, otherwise its string form. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}
