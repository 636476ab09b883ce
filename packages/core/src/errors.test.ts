import { describe, expect, it } from 'vitest';
import { errorMessage, NanoclawError } from './errors.js';

const testMarker = Symbol.for('nanoclaw.error.test-codex');

class CodexLikeError extends NanoclawError<'closed' | 'rpc-error'> {
  readonly [testMarker] = true;
  static override isInstance(error: unknown): error is CodexLikeError {
    return NanoclawError.hasMarker(error, 'nanoclaw.error.test-codex');
  }
}

describe('NanoclawError', () => {
  it('carries code, retryable and cause', () => {
    const cause = new Error('socket closed');
    const error = new NanoclawError('request-failed', 'the model call failed', { cause, retryable: true });
    expect(error).toMatchObject({
      code: 'request-failed',
      retryable: true,
      message: 'the model call failed',
    });
    expect(error.cause).toBe(cause);
    expect(new NanoclawError('x', 'y').retryable).toBe(false);
  });

  it('is recognised across package copies by its marker, not by instanceof', () => {
    // What a second copy of @nanoclaw/core would construct: a different class with the same registered symbol.
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('nanoclaw.error')]: true });
    expect(foreign instanceof NanoclawError).toBe(false);
    expect(NanoclawError.isInstance(foreign)).toBe(true);
    expect(NanoclawError.isInstance(new Error('plain'))).toBe(false);
    expect(NanoclawError.isInstance(null)).toBe(false);
    expect(NanoclawError.isInstance('a string')).toBe(false);
  });

  it('lets a subclass have its own marker', () => {
    const error = new CodexLikeError('closed', 'session closed');
    expect(NanoclawError.isInstance(error)).toBe(true);
    expect(CodexLikeError.isInstance(error)).toBe(true);
    expect(CodexLikeError.isInstance(new NanoclawError('closed', 'other'))).toBe(false);
  });
});

describe('errorMessage', () => {
  it('reads any thrown value', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage({ message: 'from an object' })).toBe('from an object');
    expect(errorMessage('text')).toBe('text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
